/**
 * <cl-head-grid>: layers × heads sparklines of one query's attention rows (render/head-sparklines.ts
 * renderHeadSparklines), with selection by click or keyboard (arrow keys move, Enter/Space select;
 * roving tabindex). For the series view. The sparklines themselves are drawn on a canvas over the
 * grid's SVG, which keeps the cells, their labels (peak position and weight, score) and the selection:
 * a hover relabels 48 cells instead of reshaping and restyling 96 SVG elements.
 *
 * Properties: rows ([layer][head][key]), selected ({ layer, head } | undefined), marker (key
 * position to mark), scores (LayerHead printed under each sparkline), label (accessible name),
 * cellWidth / cellHeight (px, optional: the renderer's defaults).
 * Events: `cl-head-select` (detail { layer, head }), bubbling and composed.
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps, numberProps } from './properties';
import type { LayerHead } from '../../analysis/types';
import { ThemeController } from '../controllers/theme';
import { drawHeadSparklines, headSparklinesSize, renderHeadSparklines, updateHeadSparklines } from '../render/head-sparklines';
import { baseStyles, fillLayer } from './styles';

export class ClHeadGrid extends LitElement {
  static override properties = {
    ...objectProps('rows', 'selected', 'scores'),
    ...stringProps('label'),
    ...numberProps('marker', 'cellWidth', 'cellHeight'),
  };
  static override styles = [
    baseStyles,
    css`
      .spark {
        cursor: pointer;
        outline: none;
      }
      .spark:focus-visible .spark-bg {
        stroke: var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        stroke-width: 2px;
        stroke-dasharray: 3 2;
      }
      svg {
        display: block;
        overflow: visible;
      }
      .grid {
        position: relative;
        width: fit-content;
      }
      canvas {
        ${fillLayer}
      }
    `,
  ];

  declare rows: number[][][];
  declare selected: { layer: number; head: number } | undefined;
  declare marker: number | undefined;
  declare scores: LayerHead | undefined;
  declare label: string;
  declare cellWidth: number | undefined;
  declare cellHeight: number | undefined;
  #focus: { layer: number; head: number } | undefined;
  /** The grid drawn last and what it was drawn for: a hover (other rows) only redraws its sparklines. */
  #svg: SVGSVGElement | undefined;
  #canvas: HTMLCanvasElement | undefined;
  #scale = 1;
  #key: unknown[] = [];
  /** Drawn on the canvas once the update is in the page. */
  #draw: { rows: number[][][]; marker: number | undefined } | undefined;
  readonly #theme = new ThemeController(this);

  constructor() {
    super();
    this.rows = [];
    this.selected = undefined;
    this.marker = undefined;
    this.scores = undefined;
    this.label = 'Attention per head';
    this.cellWidth = undefined;
    this.cellHeight = undefined;
  }

  #cellEl(layer: number, head: number): SVGGElement | null {
    return this.renderRoot.querySelector<SVGGElement>(`.spark[data-layer="${layer}"][data-head="${head}"]`);
  }

  #select(layer: number, head: number): void {
    this.#focus = { layer, head };
    this.dispatchEvent(new CustomEvent('cl-head-select', { detail: { layer, head }, bubbles: true, composed: true }));
  }

  #onClick(e: Event): void {
    const g = (e.target as Element).closest?.('.spark') as SVGGElement | null;
    if (!g) return;
    this.#select(Number(g.dataset.layer), Number(g.dataset.head));
  }

  #onKey(e: KeyboardEvent): void {
    const g = (e.target as Element).closest?.('.spark') as SVGGElement | null;
    if (!g) return;
    const layer = Number(g.dataset.layer);
    const head = Number(g.dataset.head);
    const layers = this.rows.length;
    const heads = this.rows[0]?.length ?? 0;
    let to: [number, number] | undefined;
    if (e.key === 'ArrowRight') to = [layer, Math.min(heads - 1, head + 1)];
    else if (e.key === 'ArrowLeft') to = [layer, Math.max(0, head - 1)];
    else if (e.key === 'ArrowDown') to = [Math.min(layers - 1, layer + 1), head];
    else if (e.key === 'ArrowUp') to = [Math.max(0, layer - 1), head];
    else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.#select(layer, head);
      return;
    } else return;
    e.preventDefault();
    const next = this.#cellEl(to[0], to[1]);
    if (next) {
      g.setAttribute('tabindex', '-1');
      next.setAttribute('tabindex', '0');
      next.focus();
      this.#focus = { layer: to[0], head: to[1] };
    }
  }

  override render() {
    const layers = this.rows.length;
    const heads = Math.max(0, ...this.rows.map((r) => r.length));
    const scale = this.ownerDocument.defaultView?.devicePixelRatio || 1;
    const key = [layers, heads, this.selected?.layer, this.selected?.head, this.scores, this.cellWidth, this.cellHeight, scale];
    const opts = {
      document: this.ownerDocument,
      selected: this.selected,
      marker: this.marker,
      scores: this.scores,
      interactive: true,
      cellWidth: this.cellWidth,
      cellHeight: this.cellHeight,
      areas: 'canvas' as const,
    };
    let svg = this.#svg;
    let canvas = this.#canvas;
    if (svg && canvas && key.every((k, i) => k === this.#key[i])) updateHeadSparklines(svg, this.rows, opts);
    else {
      svg = renderHeadSparklines(this.rows, opts);
      canvas = this.ownerDocument.createElement('canvas');
      canvas.setAttribute('aria-hidden', 'true');
      const size = headSparklinesSize(this.rows, opts);
      canvas.width = Math.round(size.width * scale);
      canvas.height = Math.round(size.height * scale);
      this.#svg = svg;
      this.#canvas = canvas;
      this.#scale = scale;
      this.#key = key;
    }
    this.#draw = { rows: this.rows, marker: this.marker };
    svg.setAttribute('aria-label', this.label);
    const f = this.#focus ?? this.selected;
    if (f) {
      svg.querySelectorAll('.spark[tabindex="0"]').forEach((el) => el.setAttribute('tabindex', '-1'));
      svg.querySelector(`.spark[data-layer="${f.layer}"][data-head="${f.head}"]`)?.setAttribute('tabindex', '0');
    }
    return html`<div class="grid" @click=${(e: Event) => this.#onClick(e)} @keydown=${(e: KeyboardEvent) => this.#onKey(e)}>${svg}${canvas}</div>`;
  }

  protected override updated(): void {
    const d = this.#draw;
    this.#draw = undefined;
    const ctx = d && this.#canvas?.getContext('2d');
    if (!d || !ctx) return;
    const t = this.#theme.theme;
    drawHeadSparklines(ctx, d.rows, { cellWidth: this.cellWidth, cellHeight: this.cellHeight, scores: this.scores, marker: d.marker, fill: t.accent, marked: t.marked, scale: this.#scale });
  }
}

if (!customElements.get('cl-head-grid')) customElements.define('cl-head-grid', ClHeadGrid);

declare global {
  interface HTMLElementTagNameMap {
    'cl-head-grid': ClHeadGrid;
  }
}
