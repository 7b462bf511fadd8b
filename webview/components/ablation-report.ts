/**
 * <cl-ablation-report>: the ablation report panel. Per metric the control distribution
 * (box + strip), the unablated value and the ablated set (render/ablation.ts), with percentile and
 * z-score; the metrics table; a picker of stored runs; export buttons; provenance.
 *
 * Properties
 *   result: AblationResult | undefined
 *   runs: AblationRunSummary[]   stored runs (newest first) for the picker
 *   runId: string                the shown run's id
 *   exportFormats: ExportFormat[] (empty hides the export bar)
 *   exportStatus: string, exportBusy: boolean
 *   notice: { kind, message, detail? } | undefined
 * Events (bubbling, composed)
 *   cl-open-run  { runId }
 *   cl-export    { format, suggestedName, content }
 *   cl-error     { message }
 *   cl-dismiss-notice
 * Methods
 *   exportFigure(format): Promise<{ suggestedName, content }>
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps } from './properties';
import type { AblationResult } from '../../analysis/types';
import type { AblationRunSummary } from '../../protocol/ablation';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import { ablationHeadline, renderAblationChart, renderAblationFigureSvg, renderAblationTable } from '../render/ablation';
import { serializeSvg } from '../render/dom';
import { ablationExportText, ablationFileName } from '../render/exports';
import { resolveTheme } from '../render/resolve-theme';
import { exportFromView, NOTICE_EXPORT_PROPERTIES, noticeBanner } from './banner';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './chart';
import type { ChartRenderer } from './chart';
import './export-bar';
import type { Notice } from './types';
import './provenance';
import { baseStyles, selectStyles, viewFrameStyles } from './styles';
import { format, STRINGS } from '../strings';

export class ClAblationReport extends LitElement {
  static override properties = {
    ...NOTICE_EXPORT_PROPERTIES,
    ...objectProps('result', 'runs'),
    ...stringProps('runId'),
  };

  static override styles = [
    baseStyles,
    viewFrameStyles,
    selectStyles,
    css`
      :host {
        max-width: 1100px;
      }
      header {
        margin-bottom: 12px;
      }
      cl-banner {
        margin-bottom: 10px;
      }
      .runs {
        display: flex;
        align-items: center;
        gap: 8px;
        margin-bottom: 12px;
      }
      select {
        max-width: 60ch;
      }
      cl-chart {
        margin: 4px 0 16px;
      }
      .data {
        margin: 0 0 12px;
      }
      cl-provenance {
        margin-top: 16px;
      }
      .empty {
        padding: 32px 0;
      }
    `,
  ];

  declare result: AblationResult | undefined;
  declare runs: AblationRunSummary[];
  declare runId: string;
  declare exportFormats: ExportFormat[];
  declare exportStatus: string;
  declare exportBusy: boolean;
  declare notice: Notice | undefined;

  #renderer: ChartRenderer | undefined;
  #rendererFor: AblationResult | undefined;
  #table: HTMLTableElement | undefined;

  constructor() {
    super();
    this.result = undefined;
    this.runs = [];
    this.runId = '';
    this.exportFormats = ['svg', 'png', 'json', 'csv'];
    this.exportStatus = '';
    this.exportBusy = false;
    this.notice = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
  }

  protected override willUpdate(): void {
    const r = this.result;
    if (r && r !== this.#rendererFor) {
      this.#rendererFor = r;
      this.#renderer = ({ document, width }) => renderAblationChart(r, { document, width: Math.min(width, 1000) });
      this.#table = renderAblationTable(r, { document: this.ownerDocument });
    }
  }

  async exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> {
    const result = this.result;
    if (!result) throw new Error('There is no ablation result to export yet.');
    const theme = resolveTheme(this);
    const suggestedName = ablationFileName(result, format);
    if (format === 'png') {
      const svg = serializeSvg(renderAblationFigureSvg(result, { document: this.ownerDocument, theme }));
      return { suggestedName, content: { encoding: 'base64', data: await svgToPngBase64(svg, this.ownerDocument) } };
    }
    return { suggestedName, content: { encoding: 'utf8', data: ablationExportText(result, format, { document: this.ownerDocument, theme }) } };
  }

  #onExportClick(e: CustomEvent<{ format: ExportFormat }>): Promise<void> {
    return exportFromView(this, e.detail.format);
  }

  #onRunChange(e: Event): void {
    const runId = (e.target as HTMLSelectElement).value;
    if (runId && runId !== this.runId) this.dispatchEvent(new CustomEvent('cl-open-run', { detail: { runId }, bubbles: true, composed: true }));
  }

  override render() {
    const r = this.result;
    const notice = noticeBanner(this, this.notice);
    if (!r) return html`${notice}<div class="empty muted">${STRINGS.ablation.empty}</div>`;
    const csv = r.data.csv;
    // a Chronos-Bolt run forecasts quantiles from patches: no sampling, no tokens, and its mean ablation needs no reference batch
    const patch = r.model.patch;
    const dataLine = [
      r.data.inductionLoss ? 'induction loss on repeated random tokens' : '',
      r.data.copyLoss ? `copy loss on ${r.data.copyLoss.batch} contexts of ${r.data.copyLoss.period} random values repeated ${r.data.copyLoss.repeats} times (+${r.data.copyLoss.subExtension} patches), the next ${r.data.copyLoss.horizon} values scored` : '',
      csv ? `${csv.file} · ${csv.column}, last ${csv.heldOut} points held out${patch ? ` (the model's 0.5 quantile level as the median, from patches of ${patch.size})` : ''}, MASE's seasonal period ${csv.period} (detected before the held-out points unless given)` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return html`
      ${notice}
      <header>
        <div>
          <h1>${format(STRINGS.ablation.heading, r.model.name)}</h1>
          <div class="subtitle muted">${ablationHeadline(r)}</div>
        </div>
        ${this.exportFormats.length
          ? html`<cl-export-bar .formats=${this.exportFormats} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => this.#onExportClick(e)}></cl-export-bar>`
          : null}
      </header>
      ${this.runs.length > 1
        ? html`<div class="runs">
            <label for="run">${STRINGS.ablation.run}</label>
            <select id="run" @change=${(e: Event) => this.#onRunChange(e)}>
              ${this.runs.map((run) => html`<option value=${run.id} ?selected=${run.id === this.runId}>${run.label} — ${run.createdAt.replace('T', ' ').slice(0, 16)}</option>`)}
            </select>
          </div>`
        : null}
      <p class="data muted">${format(STRINGS.ablation.data, dataLine || '–')}</p>
      <cl-chart .renderer=${this.#renderer} aria-label=${STRINGS.ablation.chart}></cl-chart>
      ${this.#table}
      <cl-provenance
        .manifest=${r.manifest}
        .model=${r.model}
        .extra=${r.meanReference
          ? [[STRINGS.ablation.meanReference, format(STRINGS.ablation.meanReferenceValue, r.meanReference.batch, r.meanReference.seed)] as [string, string]]
          : patch && r.method === 'mean'
            ? [[STRINGS.ablation.meanReference, STRINGS.ablation.meanReferenceBolt] as [string, string]]
            : []}
      ></cl-provenance>
    `;
  }
}

if (!customElements.get('cl-ablation-report')) customElements.define('cl-ablation-report', ClAblationReport);

declare global {
  interface HTMLElementTagNameMap {
    'cl-ablation-report': ClAblationReport;
  }
}
