/**
 * <cl-export-bar>: one button per export format and a status line (e.g. "Saved to …").
 *
 * Properties: formats (ExportFormat[]), busy (disables the buttons), status (string).
 * Events: `cl-export-click` (detail { format }), bubbling and composed.
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps, booleanProps } from './properties';
import type { ExportFormat } from '../../protocol/common';
import { baseStyles } from './styles';
import { STRINGS } from '../strings';

const LABELS: Record<ExportFormat, { label: string; title: string }> = {
  svg: { label: 'SVG', title: STRINGS.export.svg },
  png: { label: 'PNG', title: STRINGS.export.png },
  json: { label: 'JSON', title: STRINGS.export.json },
  csv: { label: 'CSV', title: STRINGS.export.csv },
};

export class ClExportBar extends LitElement {
  static override properties = {
    ...objectProps('formats'),
    ...stringProps('status'),
    ...booleanProps('busy'),
  };
  static override styles = [
    baseStyles,
    css`
      :host {
        display: flex;
        align-items: center;
        gap: 6px;
        flex-wrap: wrap;
      }
      .label {
        color: var(--cl-muted, #616161);
        margin-right: 2px;
      }
      .status {
        margin-left: 8px;
        color: var(--cl-muted, #616161);
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        max-width: 50ch;
      }
    `,
  ];

  declare formats: ExportFormat[];
  declare busy: boolean;
  declare status: string;

  constructor() {
    super();
    this.formats = ['svg', 'png', 'json', 'csv'];
    this.busy = false;
    this.status = '';
  }

  override render() {
    return html`<span class="label" id="export-label">${STRINGS.export.label}</span>
      ${this.formats.map(
        (f) =>
          html`<button data-format=${f} title=${LABELS[f].title} aria-describedby="export-label" ?disabled=${this.busy} @click=${() => this.dispatchEvent(new CustomEvent('cl-export-click', { detail: { format: f }, bubbles: true, composed: true }))}>
            ${LABELS[f].label}
          </button>`,
      )}
      <span class="status" role="status" aria-live="polite" title=${this.status}>${this.status}</span>`;
  }
}

if (!customElements.get('cl-export-bar')) customElements.define('cl-export-bar', ClExportBar);

declare global {
  interface HTMLElementTagNameMap {
    'cl-export-bar': ClExportBar;
  }
}
