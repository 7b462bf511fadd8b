/**
 * The host page may embed the view's first message in the HTML, so the view renders without a
 * round trip:  <script type="application/json" id="chronos-lens-initial-state">{…}</script>
 * (JSON, with "<" escaped as \u003c). It is data, never executed, so CSP does not apply to it.
 * DOM-free (structural types), so the CLI can use it to write standalone pages.
 */
import type { ShowAblationMessage, ShowCausalMessage, ShowMosaicMessage } from '../protocol';

export const INITIAL_STATE_ID = 'chronos-lens-initial-state';

/** The initial state of the standalone figure page (webview/entries/figure.ts, written by the CLI). */
export type FigurePageState = { view: 'mosaic'; message: ShowMosaicMessage } | { view: 'ablation'; message: ShowAblationMessage } | { view: 'causal'; message: ShowCausalMessage };

export function readInitialState<T>(doc: { getElementById(id: string): { textContent: string | null } | null }): T | undefined {
  const el = doc.getElementById(INITIAL_STATE_ID);
  if (!el?.textContent?.trim()) return undefined;
  try {
    return JSON.parse(el.textContent) as T;
  } catch (e) {
    throw new Error(`The page's initial state (#${INITIAL_STATE_ID}) is not valid JSON: ${(e as Error).message}`);
  }
}

/** Serialises a value for the initial-state element (safe inside <script>: no "</script>" possible). */
export function initialStateJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
