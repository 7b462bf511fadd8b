/**
 * <cl-mosaic-view>: the induction-mosaic panel.
 *
 * Tabs per attention kind (cross / encoder / decoder, those the result has); for the selected kind
 * the center | right heatmaps (render/mosaic.ts) with a hover / focus tooltip (layer, head,
 * score ± standard error), full keyboard navigation over the cells (arrow keys, Home/End,
 * PageUp/PageDown; Enter, Space or Shift+F10 opens the action menu), click → action menu; the summary
 * table of induction heads; export buttons; provenance.
 *
 * Properties
 *   result: MosaicResult | undefined
 *   kind: AttentionKind (reflected attribute)
 *   ablationSet: HeadRef[]       heads marked in the heatmaps
 *   heading: string              default "Induction mosaic · <model>"
 *   exportFormats: ExportFormat[] (empty hides the export bar)
 *   exportStatus: string         text next to the export buttons ("Saved to …")
 *   notice: { kind: 'error' | 'busy' | 'info'; message: string; detail?: string } | undefined
 * Events (bubbling, composed)
 *   cl-kind-change  { kind }
 *   cl-head-action  { action: 'showHeadOnSeries' | 'ablateHead' | 'addToAblationSet' | 'patchHead', head: HeadRef }
 *   cl-export       { format, suggestedName, content: ExportContent }
 *   cl-error        { message }   (an export failed in the page)
 *   cl-dismiss-notice
 * Methods
 *   exportFigure(format): Promise<{ suggestedName, content }>
 *   focusCell(side, layer, head): boolean
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps, stateProps } from './properties';
import type { AttentionKind, HeadRef, MosaicKind, MosaicResult } from '../../analysis/types';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import { ATTENTION_KINDS, type MosaicCellAction } from '../../protocol/mosaic';
import { serializeSvg } from '../render/dom';
import { mosaicExportText, mosaicFileName } from '../render/exports';
import { KIND_LABEL, KIND_SHORT, SIDE_LABELS, fmtScoreSe, headId, mosaicUnit, type MosaicSide } from '../render/format';
import { cellTooltip, mosaicSubtitle, renderInductionSummaryTable, renderMosaicFigureSvg, renderMosaicHeatmaps } from '../render/mosaic';
import { resolveTheme } from '../render/resolve-theme';
import './action-menu';
import type { ClActionMenu, MenuItem } from './action-menu';
import './banner';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './export-bar';
import './provenance';
import { baseStyles, viewFrameStyles } from './styles';
import './tabs';
import type { HeadActionDetail, Notice } from './types';
import './tooltip';
import { exportFromView, NOTICE_EXPORT_PROPERTIES, noticeBanner } from './banner';

export interface CellPos {
  side: MosaicSide;
  layer: number;
  head: number;
}

export const CELL_ACTIONS: readonly (MenuItem & { id: MosaicCellAction })[] = [
  { id: 'showHeadOnSeries', label: 'Show this head on the series' },
  { id: 'ablateHead', label: 'Ablate this head' },
  { id: 'addToAblationSet', label: 'Add to ablation set' },
  { id: 'patchHead', label: 'Patch this head', hint: 'residual stream' },
];

export class ClMosaicView extends LitElement {
  static override properties = {
    kind: { type: String, reflect: true },
    ...NOTICE_EXPORT_PROPERTIES,
    ...objectProps('result', 'ablationSet'),
    ...stringProps('heading'),
    ...stateProps('_tip', '_menuCell', '_width'),
  };

  static override styles = [
    baseStyles,
    viewFrameStyles,
    css`
      :host {
        max-width: 1200px;
      }
      header {
        margin-bottom: 10px;
      }
      cl-banner {
        margin-bottom: 10px;
      }
      .panel {
        padding-top: 12px;
      }
      .hint {
        margin: 0 0 8px;
        font-size: 0.92em;
      }
      .stage {
        position: relative;
      }
      .chart-wrap {
        overflow-x: auto;
        padding: 4px 0 8px;
      }
      .chart-wrap svg {
        display: block;
        overflow: visible;
      }
      .cell {
        cursor: pointer;
        outline: none;
      }
      .cell:hover .cell-fill {
        stroke: var(--cl-fg, #1f1f1f);
        stroke-width: 1px;
      }
      .focus-ring {
        fill: none;
        stroke: var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        stroke-width: 2.5px;
        pointer-events: none;
      }
      .focus-ring-halo {
        fill: none;
        stroke: var(--cl-bg, #ffffff);
        stroke-width: 5px;
        pointer-events: none;
      }
      .summary {
        margin-top: 18px;
      }
      .summary tr.current th,
      .summary tr.current td {
        font-weight: 600;
      }
      .summary tr.current th::before {
        content: '▸ ';
      }
      cl-provenance {
        margin-top: 16px;
      }
      .empty {
        padding: 32px 0;
      }
    `,
  ];

  declare result: MosaicResult | undefined;
  declare kind: AttentionKind;
  declare ablationSet: HeadRef[];
  declare heading: string;
  declare exportFormats: ExportFormat[];
  declare exportStatus: string;
  declare exportBusy: boolean;
  declare notice: Notice | undefined;
  declare _tip: { x: number; y: number; heading: string; lines: string[] } | undefined;
  declare _menuCell: CellPos | undefined;
  declare _width: number;

  #svg: SVGSVGElement | undefined;
  #svgKey: unknown[] = [];
  #table: HTMLTableElement | undefined;
  #tableKey: unknown[] = [];
  #focus: CellPos | undefined;
  #refocus = false;
  #observer: ResizeObserver | undefined;

  constructor() {
    super();
    this.result = undefined;
    this.kind = 'cross';
    this.ablationSet = [];
    this.heading = '';
    this.exportFormats = ['svg', 'png', 'json', 'csv'];
    this.exportStatus = '';
    this.exportBusy = false;
    this.notice = undefined;
    this._tip = undefined;
    this._menuCell = undefined;
    this._width = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
    if (typeof ResizeObserver !== 'undefined') {
      this.#observer = new ResizeObserver((entries) => {
        const w = Math.floor((entries[0]?.contentRect.width ?? 0) / 16) * 16;
        // Next frame: changing layout inside the observer callback would re-trigger it.
        if (w > 0 && w !== this._width) requestAnimationFrame(() => (this._width = w));
      });
      this.#observer.observe(this);
    }
  }

  override disconnectedCallback(): void {
    this.#observer?.disconnect();
    super.disconnectedCallback();
  }

  /** The kinds the result has, in tab order. */
  get kinds(): AttentionKind[] {
    return this.result ? ATTENTION_KINDS.filter((k) => this.result?.[k]) : [];
  }

  get #data(): MosaicKind | undefined {
    return this.result?.[this.kind];
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('result') && this.result && !this.result[this.kind]) {
      this.kind = this.kinds[0] ?? 'cross';
    }
    if (changed.has('result') || changed.has('kind')) {
      this.#focus = undefined;
      this._tip = undefined;
      this._menuCell = undefined;
    }
  }

  #chart(): SVGSVGElement | undefined {
    const data = this.#data;
    if (!data || !this.result) return undefined;
    // a narrow panel stacks the two heatmaps (mosaicLayout) rather than scrolling them sideways
    const width = Math.max(240, (this._width || 900) - 32);
    const key = [this.result, this.kind, this.ablationSet, width];
    if (!this.#svg || key.some((k, i) => k !== this.#svgKey[i])) {
      this.#refocus = !!this.#svg && this.#svg.contains((this.renderRoot as ShadowRoot).activeElement);
      this.#svg = renderMosaicHeatmaps(data, {
        document: this.ownerDocument,
        kind: this.kind,
        threshold: this.result.threshold,
        width,
        marked: this.ablationSet,
        interactive: true,
        focusCell: this.#focus,
        unit: mosaicUnit(this.result.protocol),
      });
      this.#svgKey = key;
    }
    return this.#svg;
  }

  #summary(): HTMLTableElement | undefined {
    if (!this.result) return undefined;
    const key = [this.result, this.kind];
    if (!this.#table || key.some((k, i) => k !== this.#tableKey[i])) {
      this.#table = renderInductionSummaryTable(this.result, { document: this.ownerDocument, threshold: this.result.threshold, unit: mosaicUnit(this.result.protocol) });
      this.#table.querySelector(`tr[data-kind="${this.kind}"]`)?.classList.add('current');
      this.#tableKey = key;
    }
    return this.#table;
  }

  protected override updated(): void {
    if (this.#refocus && this.#focus) {
      this.#refocus = false;
      this.focusCell(this.#focus.side, this.#focus.layer, this.#focus.head);
    }
  }

  // ---- cells, focus, tooltip -------------------------------------------------------------

  #cellEl(p: CellPos): SVGGElement | null {
    return this.#svg?.querySelector<SVGGElement>(`.cell[data-side="${p.side}"][data-layer="${p.layer}"][data-head="${p.head}"]`) ?? null;
  }

  static #posOf(el: Element | null): CellPos | undefined {
    const g = el?.closest?.('.cell') as SVGGElement | null | undefined;
    if (!g) return undefined;
    return { side: g.dataset.side as MosaicSide, layer: Number(g.dataset.layer), head: Number(g.dataset.head) };
  }

  /** Moves keyboard focus (and the roving tabindex) to a cell. */
  focusCell(side: MosaicSide, layer: number, head: number): boolean {
    const el = this.#cellEl({ side, layer, head });
    if (!el) return false;
    this.#svg?.querySelectorAll('.cell[tabindex="0"]').forEach((c) => c !== el && c.setAttribute('tabindex', '-1'));
    el.setAttribute('tabindex', '0');
    this.#focus = { side, layer, head };
    el.focus();
    return true;
  }

  #stage(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('.stage');
  }

  /** Position of a cell's top centre (and bottom) relative to the stage the tooltip and menu live in. */
  #anchor(p: CellPos): { x: number; y: number; bottom: number } | undefined {
    const el = this.#cellEl(p);
    const stage = this.#stage();
    if (!el || !stage) return undefined;
    const r = el.getBoundingClientRect();
    const w = stage.getBoundingClientRect();
    return { x: r.left - w.left + r.width / 2, y: r.top - w.top, bottom: r.bottom - w.top };
  }

  #showTip(p: CellPos): void {
    const data = this.#data;
    const a = this.#anchor(p);
    if (!data || !a) return;
    const t = cellTooltip(data, p.side, p.layer, p.head, mosaicUnit(this.result?.protocol));
    const inSet = this.ablationSet.some((h) => h.kind === this.kind && h.layer === p.layer && h.head === p.head);
    this._tip = { x: a.x, y: a.y, heading: `${t.title} · ${KIND_SHORT[this.kind].toLowerCase()}`, lines: [...t.lines, ...(inSet ? ['in ablation set'] : [])] };
  }

  #placeRing(p: CellPos | undefined): void {
    if (!this.#svg) return;
    this.#svg.querySelectorAll('.focus-ring, .focus-ring-halo').forEach((n) => n.remove());
    if (!p) return;
    const el = this.#cellEl(p);
    const overlay = this.#svg.querySelector(`.panel-${p.side} .overlay`);
    if (!el || !overlay) return;
    const size = Number(el.querySelector('.cell-fill')?.getAttribute('width') ?? 0);
    const NS = 'http://www.w3.org/2000/svg';
    for (const cls of ['focus-ring-halo', 'focus-ring']) {
      const r = this.ownerDocument.createElementNS(NS, 'rect');
      r.setAttribute('class', cls);
      r.setAttribute('x', String(Number(el.dataset.x) - 1));
      r.setAttribute('y', String(Number(el.dataset.y) - 1));
      r.setAttribute('width', String(size + 2));
      r.setAttribute('height', String(size + 2));
      overlay.append(r);
    }
  }

  #onPointerOver(e: PointerEvent): void {
    if (this._menuCell) return;
    const p = ClMosaicView.#posOf(e.target as Element);
    if (p) this.#showTip(p);
  }

  #onPointerLeave(): void {
    if (this._menuCell) return;
    const active = (this.renderRoot as ShadowRoot).activeElement;
    const p = ClMosaicView.#posOf(active);
    if (p) this.#showTip(p);
    else this._tip = undefined;
  }

  #onFocusIn(e: FocusEvent): void {
    const p = ClMosaicView.#posOf(e.target as Element);
    if (!p) return;
    this.#focus = p;
    this.#placeRing(p);
    if (!this._menuCell) this.#showTip(p);
  }

  #onFocusOut(e: FocusEvent): void {
    const to = e.relatedTarget as Element | null;
    if (to && ClMosaicView.#posOf(to)) return;
    if (!this._menuCell) {
      this.#placeRing(undefined);
      this._tip = undefined;
    }
  }

  #onKeyDown(e: KeyboardEvent): void {
    const p = ClMosaicView.#posOf(e.target as Element);
    const data = this.#data;
    if (!p || !data) return;
    let next: CellPos | undefined;
    const { layers, heads } = data;
    switch (e.key) {
      case 'ArrowRight':
        if (p.head < heads - 1) next = { ...p, head: p.head + 1 };
        else if (p.side === 'center') next = { ...p, side: 'right', head: 0 };
        break;
      case 'ArrowLeft':
        if (p.head > 0) next = { ...p, head: p.head - 1 };
        else if (p.side === 'right') next = { ...p, side: 'center', head: heads - 1 };
        break;
      case 'ArrowUp': // layer 0 is at the bottom: up is a higher layer
        if (p.layer < layers - 1) next = { ...p, layer: p.layer + 1 };
        break;
      case 'ArrowDown':
        if (p.layer > 0) next = { ...p, layer: p.layer - 1 };
        break;
      case 'Home':
        next = { ...p, head: 0 };
        break;
      case 'End':
        next = { ...p, head: heads - 1 };
        break;
      case 'PageUp':
        next = { ...p, layer: layers - 1 };
        break;
      case 'PageDown':
        next = { ...p, layer: 0 };
        break;
      case 'Enter':
      case ' ':
      case 'ContextMenu':
        e.preventDefault();
        void this.openMenu(p);
        return;
      case 'F10':
        if (!e.shiftKey) return;
        e.preventDefault();
        void this.openMenu(p);
        return;
      case 'Escape':
        this._tip = undefined;
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next) this.focusCell(next.side, next.layer, next.head);
  }

  #onClick(e: MouseEvent): void {
    const p = ClMosaicView.#posOf(e.target as Element);
    if (!p) return;
    this.focusCell(p.side, p.layer, p.head);
    void this.openMenu(p);
  }

  /** Opens the action menu for a cell (under it). */
  async openMenu(p: CellPos): Promise<void> {
    const a = this.#anchor(p);
    if (!a) return;
    this._tip = undefined;
    this._menuCell = p;
    await this.updateComplete;
    const menu = this.renderRoot.querySelector<ClActionMenu>('cl-action-menu');
    await menu?.show(a.x - 12, a.bottom + 4);
  }

  #onMenuSelect(e: CustomEvent<{ id: string }>): void {
    const p = this._menuCell;
    if (!p) return;
    const action = e.detail.id as MosaicCellAction;
    const head: HeadRef = { kind: this.kind, layer: p.layer, head: p.head };
    this.dispatchEvent(new CustomEvent<HeadActionDetail>('cl-head-action', { detail: { action, head }, bubbles: true, composed: true }));
  }

  #onMenuClose(e: CustomEvent<{ reason: string }>): void {
    const p = this._menuCell;
    this._menuCell = undefined;
    if (p && e.detail.reason !== 'outside' && e.detail.reason !== 'tab') this.focusCell(p.side, p.layer, p.head);
    else this.#placeRing(undefined);
  }

  #onTab(e: CustomEvent<{ id: string }>): void {
    const kind = e.detail.id as AttentionKind;
    if (kind === this.kind) return;
    this.kind = kind;
    this.dispatchEvent(new CustomEvent('cl-kind-change', { detail: { kind }, bubbles: true, composed: true }));
  }

  // ---- export ----------------------------------------------------------------------------

  /** The current figure in a format, as the user sees it (current kind, current theme colours). */
  async exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> {
    const result = this.result;
    if (!result) throw new Error('There is no mosaic to export yet.');
    const theme = resolveTheme(this);
    const opts = { document: this.ownerDocument, theme, kinds: [this.kind], marked: this.ablationSet };
    const suggestedName = mosaicFileName(result, format, this.kind);
    if (format === 'png') {
      const svg = serializeSvg(renderMosaicFigureSvg(result, { ...opts }));
      return { suggestedName, content: { encoding: 'base64', data: await svgToPngBase64(svg, this.ownerDocument) } };
    }
    return { suggestedName, content: { encoding: 'utf8', data: mosaicExportText(result, format, opts) } };
  }

  #onExportClick(e: CustomEvent<{ format: ExportFormat }>): Promise<void> {
    return exportFromView(this, e.detail.format);
  }

  // ---- render ----------------------------------------------------------------------------

  override render() {
    const r = this.result;
    const notice = noticeBanner(this, this.notice);
    if (!r) {
      return html`${notice}
        <div class="empty muted">No mosaic yet. Run “Chronos Lens: Compute Induction Mosaic” on a CSV file.</div>`;
    }
    const data = this.#data;
    const tabs = this.kinds.map((k) => ({ id: k, label: KIND_LABEL[k], badge: String(r[k]?.counts.total ?? 0) }));
    const menuCell = this._menuCell;
    const unit = mosaicUnit(r.protocol);
    const sides = SIDE_LABELS[unit];
    const menuLabel = menuCell ? `${headId(menuCell)} · ${KIND_LABEL[this.kind].toLowerCase()} · ${sides[menuCell.side].toLowerCase()} ${fmtScoreSe(data?.[menuCell.side][menuCell.layer]?.[menuCell.head], data?.stderr[menuCell.side][menuCell.layer]?.[menuCell.head])}` : '';
    return html`
      ${notice}
      <header>
        <div>
          <h1>${this.heading || `Induction mosaic · ${r.model.name}`}</h1>
          <div class="subtitle muted">${mosaicSubtitle(r)}</div>
        </div>
        ${this.exportFormats.length
          ? html`<cl-export-bar .formats=${this.exportFormats} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => this.#onExportClick(e)}></cl-export-bar>`
          : null}
      </header>
      <cl-tabs label="Attention kind" .tabs=${tabs} .selected=${this.kind} @cl-tab-change=${(e: CustomEvent<{ id: string }>) => this.#onTab(e)}></cl-tabs>
      <section class="panel" role="tabpanel" aria-labelledby=${`tab-${this.kind}`} aria-label=${`${KIND_LABEL[this.kind]}: ${sides.center} and ${sides.right}`}>
        <p class="hint muted">
          ${unit === 'patch'
            ? 'Score of each head: attention from a patch of the last repeat (cross: from the decoder token, which forecasts the patch after the context) to the earlier copy of the current patch (current patch) and to the patch after that copy (patch to right).'
            : 'Score of each head: attention from the repeated token to its earlier copy (current token) and to the token after it (token to right).'}
          Outlined: score ≥
          ${r.threshold.toFixed(2)}. Hover or focus a cell for its value; click it or press Enter for actions.
        </p>
        <div class="stage">
        <div
          class="chart-wrap"
          @pointerover=${(e: PointerEvent) => this.#onPointerOver(e)}
          @pointerleave=${() => this.#onPointerLeave()}
          @focusin=${(e: FocusEvent) => this.#onFocusIn(e)}
          @focusout=${(e: FocusEvent) => this.#onFocusOut(e)}
          @keydown=${(e: KeyboardEvent) => this.#onKeyDown(e)}
          @click=${(e: MouseEvent) => this.#onClick(e)}
        >
          ${this.#chart()}
        </div>
          <cl-tooltip ?open=${!!this._tip} .x=${this._tip?.x ?? 0} .y=${this._tip?.y ?? 0} .heading=${this._tip?.heading ?? ''} .lines=${this._tip?.lines ?? []}></cl-tooltip>
          <cl-action-menu
            .items=${CELL_ACTIONS}
            .label=${menuLabel}
            @cl-menu-select=${(e: CustomEvent<{ id: string }>) => this.#onMenuSelect(e)}
            @cl-menu-close=${(e: CustomEvent<{ reason: string }>) => this.#onMenuClose(e)}
          ></cl-action-menu>
        </div>
      </section>
      <section class="summary" aria-label="Summary of induction heads">${this.#summary()}</section>
      <cl-provenance .manifest=${r.manifest} .model=${r.model}></cl-provenance>
    `;
  }
}

if (!customElements.get('cl-mosaic-view')) customElements.define('cl-mosaic-view', ClMosaicView);

declare global {
  interface HTMLElementTagNameMap {
    'cl-mosaic-view': ClMosaicView;
  }
}
