/** Browser console messages -> text. */
import { format } from 'node:util';

/**
 * The workbench forwards extension-host console calls as `('%c LEVEL', css, fmt, ...args)`; mocha's spec
 * reporter logs printf-style (`'%d passing', 3`). Drops the styling and applies the inner format.
 */
export function consoleText(args: unknown[]): string {
  const [first, ...rest] = args;
  if (typeof first === 'string' && first.includes('%c')) {
    const styles = (first.match(/%c/g) ?? []).length;
    const head = first.replace(/%c/g, '').trim();
    const tail = rest.slice(styles);
    const body = typeof tail[0] === 'string' ? format(...(tail as [string, ...unknown[]])) : tail.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    return head ? `${head} ${body}` : body;
  }
  return typeof first === 'string' ? format(first, ...rest) : args.map((a) => JSON.stringify(a)).join(' ');
}
