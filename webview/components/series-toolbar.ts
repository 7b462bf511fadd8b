/**
 * <cl-series-toolbar>: the series view's toolbar: which attention the strip shows (one head, or the
 * max or mean over the layer's heads), the layer and the head, the zoom buttons and the legend of the
 * chart's rings. It holds no state: it shows `selection` and says what was asked for.
 *
 * Properties: selection (HeadSelection), layers, heads (numbers; 0 before the model has loaded:
 * the attention controls are disabled), patches (the model reads patches, Chronos-Bolt: no ring legend,
 * as the chart draws no same-token / next-position rings for patches, which never repeat).
 * Events (bubbling, composed): `cl-toolbar-select` (detail { selection }: not yet clamped to the
 * model), `cl-zoom` (detail { action: 'context' | 'all' | 'in' | 'out' }).
 */
import { LitElement, css, html } from 'lit';
import { objectProps, numberProps, booleanProps } from './properties';
import type { HeadSelection } from '../../protocol/series';
import { baseStyles, selectStyles } from './styles';

export type ZoomAction = 'context' | 'all' | 'in' | 'out';

const MODES: { id: HeadSelection['mode']; label: string }[] = [
  { id: 'head', label: 'Head' },
  { id: 'max', label: 'Max' },
  { id: 'mean', label: 'Mean' },
];

export class ClSeriesToolbar extends LitElement {
  static override properties = {
    ...objectProps('selection'),
    ...numberProps('layers', 'heads'),
    ...booleanProps('patches'),
  };

  static override styles = [
    baseStyles,
    selectStyles,
    css`
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 18px;
        margin: 12px 0 8px;
        padding-bottom: 8px;
        border-bottom: 1px solid var(--vscode-panel-border, var(--cl-grid, #d8d8d8));
      }
      .group {
        display: inline-flex;
        align-items: center;
        gap: 6px;
      }
      .group > .caption {
        color: var(--cl-muted, #616161);
      }
      .segmented {
        display: inline-flex;
      }
      .segmented button {
        border-radius: 0;
        padding: 2px 10px;
      }
      .segmented button:first-child {
        border-radius: 2px 0 0 2px;
      }
      .segmented button:last-child {
        border-radius: 0 2px 2px 0;
      }
      .segmented button[aria-pressed='true'] {
        color: var(--vscode-button-foreground, #ffffff);
        background: var(--vscode-button-background, #005fb8);
        outline: 1px solid var(--vscode-contrastActiveBorder, transparent);
        outline-offset: -2px;
      }
      .legend {
        display: inline-flex;
        gap: 12px;
        align-items: center;
      }
      .swatch {
        display: inline-block;
        width: 10px;
        height: 10px;
        border-radius: 50%;
        border: 2.5px solid currentColor;
        margin-right: 4px;
        vertical-align: -1px;
      }
      .swatch.same {
        color: var(--cl-same-token, #b35900);
      }
      .swatch.next {
        color: var(--cl-next-token, #7a3db8);
      }
    `,
  ];

  declare selection: HeadSelection;
  declare layers: number;
  declare heads: number;
  declare patches: boolean;

  constructor() {
    super();
    this.selection = { mode: 'head', layer: 0, head: 0 };
    this.layers = 0;
    this.heads = 0;
    this.patches = false;
  }

  #head(): number {
    return this.selection.mode === 'head' ? this.selection.head : 0;
  }

  #select(selection: HeadSelection): void {
    this.dispatchEvent(new CustomEvent('cl-toolbar-select', { detail: { selection }, bubbles: true, composed: true }));
  }

  #zoom(action: ZoomAction): void {
    this.dispatchEvent(new CustomEvent('cl-zoom', { detail: { action }, bubbles: true, composed: true }));
  }

  override render() {
    const sel = this.selection;
    const off = !this.layers;
    return html`<div class="toolbar" role="toolbar" aria-label="Attention and zoom">
      <span class="group"><span class="caption">Attention</span>
        <span class="segmented" role="group" aria-label="Show one head, or the max or mean over the layer's heads">
          ${MODES.map(
            (x) => html`<button aria-pressed=${sel.mode === x.id ? 'true' : 'false'} ?disabled=${off} @click=${() => this.#select(x.id === 'head' ? { mode: 'head', layer: sel.layer, head: this.#head() } : { mode: x.id, layer: sel.layer })}>${x.label}</button>`,
          )}
        </span>
      </span>
      <label class="group"><span class="caption">Layer</span>
        <select aria-label="Layer" ?disabled=${off} .value=${String(sel.layer)} @change=${(e: Event) => this.#select({ ...sel, layer: Number((e.target as HTMLSelectElement).value) } as HeadSelection)}>
          ${Array.from({ length: this.layers }, (_, l) => html`<option value=${l} ?selected=${l === sel.layer}>L${l}</option>`)}
        </select>
      </label>
      <label class="group"><span class="caption">Head</span>
        <select aria-label="Head" ?disabled=${off || sel.mode !== 'head'} .value=${String(this.#head())} @change=${(e: Event) => this.#select({ mode: 'head', layer: sel.layer, head: Number((e.target as HTMLSelectElement).value) })}>
          ${Array.from({ length: this.heads }, (_, hh) => html`<option value=${hh} ?selected=${hh === this.#head()}>H${hh}</option>`)}
        </select>
      </label>
      <span class="group"><span class="caption">Zoom</span>
        <button title="The context window and the forecast (0)" @click=${() => this.#zoom('context')}>Context</button>
        <button title="The whole column" @click=${() => this.#zoom('all')}>All</button>
        <button title="Zoom out (−)" aria-label="Zoom out" @click=${() => this.#zoom('out')}>−</button>
        <button title="Zoom in (+)" aria-label="Zoom in" @click=${() => this.#zoom('in')}>+</button>
      </span>
      ${this.patches ? null : html`<span class="legend muted"><span><span class="swatch same"></span>same token</span><span><span class="swatch next"></span>next position</span></span>`}
    </div>`;
  }
}

if (!customElements.get('cl-series-toolbar')) customElements.define('cl-series-toolbar', ClSeriesToolbar);

declare global {
  interface HTMLElementTagNameMap {
    'cl-series-toolbar': ClSeriesToolbar;
  }
}
