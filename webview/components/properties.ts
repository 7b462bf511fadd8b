/**
 * Lit reactive property declarations by kind, so a component lists its properties by name:
 * `static override properties = { ...objectProps('rows', 'selected'), ...numberProps('marker') }`.
 * Declarations with options of their own (reflect, a converter) stay written out.
 */
import type { PropertyDeclaration } from 'lit';

function declare<K extends string>(names: K[], d: PropertyDeclaration): { [N in K]: PropertyDeclaration } {
  return Object.fromEntries(names.map((n) => [n, d])) as { [N in K]: PropertyDeclaration };
}

/** Set from script only (objects, arrays, functions): no attribute. */
export const objectProps = <const K extends string>(...names: K[]) => declare(names, { attribute: false });
/** Strings, also settable as attributes. */
export const stringProps = <const K extends string>(...names: K[]) => declare(names, { type: String });
/** Numbers, also settable as attributes. */
export const numberProps = <const K extends string>(...names: K[]) => declare(names, { type: Number });
/** Booleans, also settable as attributes. */
export const booleanProps = <const K extends string>(...names: K[]) => declare(names, { type: Boolean });
/** Internal reactive state (re-renders, never an attribute). */
export const stateProps = <const K extends string>(...names: K[]) => declare(names, { state: true });
