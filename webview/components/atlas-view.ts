/**
 * <cl-atlas-view>: the sweep atlas panel. The sections (render/atlas/sections.ts, the same ones the
 * CLI's atlas.html lays out): induction heads against model size, the counts per model, the mosaics
 * side by side at one colour scale, ablation effects per dataset with their controls, forecast
 * metrics, attributions, unfinished tasks. Every number is a link to its task's manifest: following
 * one (click, or Enter on it) asks the host to open that task.json.
 *
 * Properties
 *   atlas: AtlasSummary | undefined
 *   mosaics: AtlasMosaic[]          each model's reference mosaic
 *   source: string                  what was opened (heading)
 *   exportFormats, exportStatus, exportBusy, notice   as the other views
 * Events (bubbling, composed)
 *   cl-open-manifest  { task }
 *   cl-export, cl-error, cl-dismiss-notice
 * Methods
 *   exportFigure(format): the model-size chart (svg / png)
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps } from './properties';
import type { AtlasSummary } from '../../analysis/types';
import type { AtlasMosaic } from '../../protocol/atlas';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import { TASK_LINK_CLASS, atlasHeadline, atlasSections, renderAtlasSizeChart, type AtlasSection } from '../render/atlas';
import { serializeSvg } from '../render/dom';
import { slug } from '../render/figure-data';
import { resolveTheme } from '../render/resolve-theme';
import './banner';
import { ensureThemeCss, svgToPngBase64 } from './browser-export';
import './chart';
import type { ChartRenderer } from './chart';
import './export-bar';
import type { Notice } from './types';
import { baseStyles, viewFrameStyles } from './styles';
import { exportFromView, NOTICE_EXPORT_PROPERTIES, noticeBanner } from './banner';
import { format, STRINGS } from '../strings';

/** The formats the atlas exports (its model-size chart); the merged tables come from `chronos-lens sweep merge`. */
export const ATLAS_EXPORT_FORMATS: readonly ExportFormat[] = ['svg', 'png'];

export class ClAtlasView extends LitElement {
  static override properties = {
    ...NOTICE_EXPORT_PROPERTIES,
    ...objectProps('atlas', 'mosaics'),
    ...stringProps('source'),
  };

  static override styles = [
    baseStyles,
    viewFrameStyles,
    css`
      :host {
        max-width: 1400px;
        min-width: 0;
      }
      header {
        margin-bottom: 8px;
      }
      h1 {
        overflow-wrap: anywhere;
      }
      section {
        margin: 20px 0 0;
        min-width: 0;
      }
      section > h2 {
        border-bottom: 1px solid var(--cl-grid, #d8d8d8);
        padding-bottom: 4px;
        margin-bottom: 4px;
      }
      .note {
        margin: 0 0 8px;
      }
      .scroll {
        overflow-x: auto;
        max-width: 100%;
      }
      caption {
        position: absolute;
        width: 1px;
        height: 1px;
        overflow: hidden;
        clip-path: inset(50%);
        white-space: nowrap;
      }
      th,
      td {
        white-space: nowrap;
      }
      td.wrap {
        white-space: normal;
        min-width: 24ch;
      }
      td.error {
        color: var(--vscode-errorForeground, var(--cl-marked, #c72e0f));
      }
      a {
        color: var(--vscode-textLink-foreground, var(--cl-accent, #005fb8));
        text-decoration: none;
      }
      a:hover {
        text-decoration: underline;
        color: var(--vscode-textLink-activeForeground, var(--cl-accent, #005fb8));
      }
      .cl-atlas-mosaics {
        display: flex;
        flex-wrap: wrap;
        gap: 16px;
        align-items: flex-start;
      }
      figure {
        margin: 0;
        max-width: 100%;
        min-width: 0;
      }
      figure svg {
        display: block;
        max-width: 100%;
        height: auto;
      }
      figcaption {
        margin-top: 4px;
      }
      svg a:focus-visible circle {
        stroke: var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        stroke-width: 3px;
      }
      cl-banner {
        margin-bottom: 10px;
      }
      .empty {
        padding: 32px 0;
      }
    `,
  ];

  declare atlas: AtlasSummary | undefined;
  declare mosaics: AtlasMosaic[];
  declare source: string;
  declare exportFormats: ExportFormat[];
  declare exportStatus: string;
  declare exportBusy: boolean;
  declare notice: Notice | undefined;

  #sections: { section: AtlasSection; node?: Element; chart?: ChartRenderer }[] = [];
  #sectionsFor: [AtlasSummary | undefined, AtlasMosaic[] | undefined] = [undefined, undefined];

  constructor() {
    super();
    this.atlas = undefined;
    this.mosaics = [];
    this.source = '';
    this.exportFormats = [...ATLAS_EXPORT_FORMATS];
    this.exportStatus = '';
    this.exportBusy = false;
    this.notice = undefined;
    this.addEventListener('click', (e) => this.#onClick(e));
    this.addEventListener('keydown', (e) => this.#onKeyDown(e));
  }

  override connectedCallback(): void {
    super.connectedCallback();
    ensureThemeCss(this.ownerDocument);
  }

  protected override willUpdate(): void {
    const a = this.atlas;
    if (a && (this.#sectionsFor[0] !== a || this.#sectionsFor[1] !== this.mosaics)) {
      this.#sectionsFor = [a, this.mosaics];
      const doc = this.ownerDocument;
      this.#sections = atlasSections(a, this.mosaics).map((section) => {
        if (!section.render) return { section };
        // Charts follow the panel's width (<cl-chart>); tables and figures are drawn once.
        if (section.layout === 'chart') return { section, chart: section.render };
        return { section, node: section.render({ document: doc, width: 460 }) };
      });
    }
  }

  /** The task a click or key landed on, from the event's path through the shadow root. */
  #taskOf(e: Event): string | undefined {
    for (const t of e.composedPath()) {
      if (t === this) break;
      if (t instanceof Element && t.classList.contains(TASK_LINK_CLASS)) return t.getAttribute('data-task') ?? undefined;
    }
    return undefined;
  }

  #open(task: string): void {
    this.dispatchEvent(new CustomEvent('cl-open-manifest', { detail: { task }, bubbles: true, composed: true }));
  }

  #onClick(e: MouseEvent): void {
    const task = this.#taskOf(e);
    if (!task) return;
    // The href is the manifest's path next to an atlas file; in the panel the host opens it instead.
    e.preventDefault();
    this.#open(task);
  }

  #onKeyDown(e: KeyboardEvent): void {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const target = e.composedPath()[0];
    // HTML links turn Enter into a click themselves; SVG links (the chart's points) and Space do not.
    if (e.key === 'Enter' && target instanceof HTMLAnchorElement) return;
    const task = this.#taskOf(e);
    if (!task) return;
    e.preventDefault();
    this.#open(task);
  }

  async exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> {
    const atlas = this.atlas;
    if (!atlas) throw new Error('There is no atlas to export yet.');
    if (!ATLAS_EXPORT_FORMATS.includes(format)) throw new Error(`The atlas exports its model-size chart as ${ATLAS_EXPORT_FORMATS.join(' or ')}; the merged tables come from "chronos-lens sweep merge DIR --out results.csv".`);
    const theme = resolveTheme(this);
    const svg = serializeSvg(renderAtlasSizeChart(atlas, { document: this.ownerDocument, theme, width: 760, background: true }));
    const suggestedName = `${slug(`atlas-${atlas.name}-size`)}.${format}`;
    if (format === 'png') return { suggestedName, content: { encoding: 'base64', data: await svgToPngBase64(svg, this.ownerDocument) } };
    return { suggestedName, content: { encoding: 'utf8', data: svg } };
  }

  #onExportClick(e: CustomEvent<{ format: ExportFormat }>): Promise<void> {
    return exportFromView(this, e.detail.format);
  }

  override render() {
    const a = this.atlas;
    const notice = noticeBanner(this, this.notice);
    if (!a) return html`${notice}<div class="empty muted">${STRINGS.atlas.empty}</div>`;
    return html`
      ${notice}
      <header>
        <div>
          <h1>${format(STRINGS.atlas.heading, a.name)}</h1>
          <div class="subtitle muted">${atlasHeadline(a)}${this.source ? html` · <span class="mono">${this.source}</span>` : null}. ${STRINGS.atlas.opensManifests}</div>
        </div>
        ${this.exportFormats.length
          ? html`<cl-export-bar .formats=${this.exportFormats} .status=${this.exportStatus} ?busy=${this.exportBusy} @cl-export-click=${(e: CustomEvent<{ format: ExportFormat }>) => this.#onExportClick(e)}></cl-export-bar>`
          : null}
      </header>
      ${this.#sections.map(
        ({ section: s, node, chart }) => html`<section id=${`atlas-${s.id}`} aria-labelledby=${`atlas-${s.id}-title`} data-section=${s.id}>
          <h2 id=${`atlas-${s.id}-title`}>${s.title}</h2>
          ${s.note ? html`<p class="note muted">${s.note}</p>` : null}
          ${chart
            ? html`<cl-chart .renderer=${chart} .minWidth=${280} aria-label=${s.title}></cl-chart>`
            : node
              ? s.layout === 'table'
                ? html`<div class="scroll" tabindex="0" role="region" aria-label=${format(STRINGS.atlas.table, s.title)}>${node}</div>`
                : node
              : html`<p class="muted">${s.empty ?? ''}</p>`}
        </section>`,
      )}
    `;
  }
}

if (!customElements.get('cl-atlas-view')) customElements.define('cl-atlas-view', ClAtlasView);

declare global {
  interface HTMLElementTagNameMap {
    'cl-atlas-view': ClAtlasView;
  }
}
