/**
 * <cl-causal-view>: the residual-stream panel. One tab per figure of the run (direct attribution,
 * per-layer forecast lens, activation-patching maps, layer ablation), each drawn by its pure render
 * function (render/causal-figure.ts); a hover card and a live readout line for the mark under the
 * pointer or the keyboard focus (the chart is one tab stop: ← → step through its marks, Home / End
 * jump to the first / last, Escape clears); export buttons; provenance.
 *
 * Properties
 *   run: CausalRun | undefined
 *   figure: CausalFigure | ''        the tab shown ('' = the run's first figure)
 *   exportFormats: ExportFormat[] (empty hides the export bar)
 *   exportStatus: string, exportBusy: boolean
 *   notice: { kind, message, detail? } | undefined
 * Events (bubbling, composed)
 *   cl-figure-change { figure }
 *   cl-export        { format, suggestedName, content }
 *   cl-error         { message }
 *   cl-dismiss-notice
 * Methods
 *   exportFigure(format): Promise<{ suggestedName, content }>
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps, stateProps } from './properties';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import type { CausalFigure, CausalRun } from '../../protocol/causal';
import { CAUSAL_FIGURE_LABEL, causalFigures, causalHeadline, renderCausalChart, renderCausalFigureSvg } from '../render/causal-figure';
import { serializeSvg } from '../render/dom';
import { causalExportText, causalFileName } from '../render/exports';
import { MARK_CLASS } from '../render/readout';
import { resolveTheme } from '../render/resolve-theme';
import { exportFromView, NOTICE_EXPORT_PROPERTIES, noticeBanner } from './banner';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './chart';
import type { ChartRenderer, ClChart } from './chart';
import './export-bar';
import './provenance';
import { baseStyles, viewFrameStyles } from './styles';
import './tabs';
import './tooltip';
import type { Notice } from './types';
import { format, STRINGS } from '../strings';

export class ClCausalView extends LitElement {
  static override properties = {
    ...NOTICE_EXPORT_PROPERTIES,
    ...objectProps('run'),
    ...stringProps('figure'),
    ...stateProps('_readout', '_tip'),
  };

  static override styles = [
    baseStyles,
    viewFrameStyles,
    css`
      :host {
        max-width: 1100px;
        min-width: 0;
      }
      header {
        margin-bottom: 8px;
      }
      h1,
      .subtitle,
      .headline {
        overflow-wrap: anywhere;
      }
      cl-banner {
        margin-bottom: 10px;
      }
      cl-tabs {
        margin-bottom: 8px;
      }
      .headline {
        margin: 4px 0 8px;
      }
      .plot {
        position: relative;
        min-width: 0;
      }
      .plot:focus-visible {
        outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        outline-offset: 2px;
      }
      .readout {
        min-height: 1.4em;
        margin: 4px 0 0;
        font-variant-numeric: tabular-nums;
        overflow-wrap: anywhere;
      }
      cl-provenance {
        margin-top: 16px;
      }
      .empty {
        padding: 32px 0;
      }
    `,
  ];

  declare run: CausalRun | undefined;
  declare figure: CausalFigure | '';
  declare exportFormats: ExportFormat[];
  declare exportStatus: string;
  declare exportBusy: boolean;
  declare notice: Notice | undefined;
  declare _readout: string;
  declare _tip: { x: number; y: number; text: string } | undefined;

  #renderer: ChartRenderer | undefined;
  #rendererKey: [CausalRun | undefined, CausalFigure | ''] = [undefined, ''];
  /** Index of the keyboard-focused mark (-1: none). */
  #focus = -1;
  #highlighted: SVGElement | undefined;

  constructor() {
    super();
    this.run = undefined;
    this.figure = '';
    this.exportFormats = ['svg', 'png', 'json', 'csv'];
    this.exportStatus = '';
    this.exportBusy = false;
    this.notice = undefined;
    this._readout = '';
    this._tip = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
  }

  /** The figure on screen: the chosen one when the run has it, else the run's first. */
  get shownFigure(): CausalFigure | undefined {
    const r = this.run;
    if (!r) return undefined;
    const figs = causalFigures(r);
    return this.figure && figs.includes(this.figure) ? this.figure : figs[0];
  }

  protected override willUpdate(): void {
    const r = this.run;
    const f = this.shownFigure;
    if (r && f && (this.#rendererKey[0] !== r || this.#rendererKey[1] !== f)) {
      this.#rendererKey = [r, f];
      this.#renderer = ({ document, width }) => renderCausalChart(r, f, { document, width: Math.min(width, 1060) });
      this.#clearFocus();
    }
  }

  async exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> {
    const run = this.run;
    const figure = this.shownFigure;
    if (!run || !figure) throw new Error('There is no residual-stream figure to export yet.');
    const theme = resolveTheme(this);
    const suggestedName = causalFileName(run, figure, format);
    if (format === 'png') {
      const svg = serializeSvg(renderCausalFigureSvg(run, figure, { document: this.ownerDocument, theme }));
      return { suggestedName, content: { encoding: 'base64', data: await svgToPngBase64(svg, this.ownerDocument) } };
    }
    return { suggestedName, content: { encoding: 'utf8', data: causalExportText(run, figure, format, { document: this.ownerDocument, theme }) } };
  }

  #onExportClick(e: CustomEvent<{ format: ExportFormat }>): Promise<void> {
    return exportFromView(this, e.detail.format);
  }

  #onTab(e: CustomEvent<{ id: string }>): void {
    const figure = e.detail.id as CausalFigure;
    if (figure === this.shownFigure) return;
    this.figure = figure;
    this.dispatchEvent(new CustomEvent('cl-figure-change', { detail: { figure }, bubbles: true, composed: true }));
  }

  /** The marks of the chart on screen, in drawing order. */
  marks(): SVGElement[] {
    const chart = this.renderRoot.querySelector<ClChart>('cl-chart');
    return chart ? [...chart.renderRoot.querySelectorAll<SVGElement>(`.${MARK_CLASS}`)] : [];
  }

  #highlight(el: SVGElement | undefined): void {
    const shape = (e: SVGElement | undefined) => (e && e.tagName.toLowerCase() === 'g' ? (e.querySelector<SVGElement>('rect') ?? undefined) : e);
    const old = shape(this.#highlighted);
    if (old) {
      old.style.removeProperty('stroke');
      old.style.removeProperty('stroke-width');
    }
    this.#highlighted = el;
    const now = shape(el);
    if (now) {
      now.style.setProperty('stroke', 'var(--cl-accent, #005fb8)');
      now.style.setProperty('stroke-width', '2');
    }
  }

  #clearFocus(): void {
    this.#focus = -1;
    this.#highlight(undefined);
    this._readout = '';
    this._tip = undefined;
  }

  #onKey(e: KeyboardEvent): void {
    const marks = this.marks();
    if (!marks.length) return;
    let i = this.#focus;
    switch (e.key) {
      case 'ArrowRight':
      case 'ArrowDown':
        i = Math.min(marks.length - 1, i + (e.shiftKey ? 10 : 1));
        break;
      case 'ArrowLeft':
      case 'ArrowUp':
        i = Math.max(0, (i < 0 ? 0 : i) - (e.shiftKey ? 10 : 1));
        break;
      case 'Home':
        i = 0;
        break;
      case 'End':
        i = marks.length - 1;
        break;
      case 'Escape':
        this.#clearFocus();
        return;
      default:
        return;
    }
    e.preventDefault();
    this.#focus = i;
    const el = marks[i];
    this.#highlight(el);
    this._readout = el.dataset.readout ?? '';
    const plot = this.renderRoot.querySelector<HTMLElement>('.plot');
    const box = el.getBoundingClientRect();
    const base = plot?.getBoundingClientRect();
    this._tip = base ? { x: box.left + box.width / 2 - base.left, y: box.top - base.top, text: this._readout } : undefined;
  }

  #onPointer(e: PointerEvent): void {
    const el = e.composedPath().find((n): n is SVGElement => n instanceof SVGElement && n.classList.contains(MARK_CLASS));
    const plot = e.currentTarget as HTMLElement;
    if (!el) {
      if (this._tip && this.#focus < 0) this._tip = undefined;
      return;
    }
    const base = plot.getBoundingClientRect();
    this._readout = el.dataset.readout ?? '';
    this._tip = { x: e.clientX - base.left, y: e.clientY - base.top, text: this._readout };
  }

  override render() {
    const notice = noticeBanner(this, this.notice);
    const r = this.run;
    const figure = this.shownFigure;
    if (!r || !figure) return html`${notice}<div class="empty muted">${STRINGS.causal.empty}</div>`;
    const figs = causalFigures(r);
    const result = r[figure]!;
    return html`
      ${notice}
      <header>
        <div>
          <h1>${format(STRINGS.causal.heading, result.model.name)}</h1>
          <div class="subtitle muted">${r.label}</div>
        </div>
        ${this.exportFormats.length
          ? html`<cl-export-bar .formats=${this.exportFormats} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => this.#onExportClick(e)}></cl-export-bar>`
          : null}
      </header>
      ${figs.length > 1 ? html`<cl-tabs label=${STRINGS.causal.figures} .tabs=${figs.map((f) => ({ id: f, label: CAUSAL_FIGURE_LABEL[f] }))} .selected=${figure} @cl-tab-change=${(e: CustomEvent<{ id: string }>) => this.#onTab(e)}></cl-tabs>` : null}
      <p class="headline muted">${causalHeadline(r, figure)}</p>
      <div
        class="plot"
        tabindex="0"
        role="group"
        aria-roledescription=${STRINGS.causal.chartRole}
        aria-label=${format(STRINGS.causal.plot, CAUSAL_FIGURE_LABEL[figure])}
        @keydown=${(e: KeyboardEvent) => this.#onKey(e)}
        @pointermove=${(e: PointerEvent) => this.#onPointer(e)}
        @pointerleave=${() => (this._tip = this.#focus < 0 ? undefined : this._tip)}
        @blur=${() => this.#clearFocus()}
      >
        <cl-chart .renderer=${this.#renderer} aria-hidden="true"></cl-chart>
        <cl-tooltip .lines=${this._tip ? [this._tip.text] : []} .x=${this._tip?.x ?? 0} .y=${this._tip?.y ?? 0} ?open=${!!this._tip}></cl-tooltip>
      </div>
      <div class="readout" role="status" aria-live="polite">${this._readout}</div>
      <cl-provenance .manifest=${result.manifest} .model=${result.model}></cl-provenance>
    `;
  }
}

if (!customElements.get('cl-causal-view')) customElements.define('cl-causal-view', ClCausalView);

declare global {
  interface HTMLElementTagNameMap {
    'cl-causal-view': ClCausalView;
  }
}
