/**
 * <cl-banner>: an inline message above a view: an error (with its cause), or a busy line with a
 * progress indicator.
 *
 * Properties: kind ('error' | 'busy' | 'info'), message, detail (optional cause), dismissible.
 * Events: `cl-dismiss` when the close button is pressed.
 */
import { LitElement, css, html, type TemplateResult } from 'lit';
import { stringProps, booleanProps } from './properties';
import type { ExportContent, ExportFormat } from '../../protocol/common';
import { baseStyles } from './styles';
import type { ExportDetail, Notice } from './types';
import { STRINGS } from '../strings';

export class ClBanner extends LitElement {
  static override properties = {
    kind: { type: String, reflect: true },
    ...stringProps('message', 'detail'),
    ...booleanProps('dismissible'),
  };
  static override styles = [
    baseStyles,
    css`
      :host {
        display: block;
      }
      .banner {
        display: flex;
        align-items: flex-start;
        gap: 8px;
        padding: 6px 10px;
        border-radius: 3px;
        border: 1px solid var(--vscode-inputValidation-infoBorder, var(--cl-accent, #005fb8));
        background: var(--vscode-inputValidation-infoBackground, rgba(0, 95, 184, 0.08));
      }
      :host([kind='error']) .banner {
        border-color: var(--vscode-inputValidation-errorBorder, #be1100);
        background: var(--vscode-inputValidation-errorBackground, rgba(190, 17, 0, 0.08));
      }
      .text {
        flex: 1;
        min-width: 0;
      }
      .detail {
        white-space: pre-wrap;
        opacity: 0.85;
        margin-top: 2px;
      }
      .spinner {
        width: 12px;
        height: 12px;
        margin-top: 3px;
        border-radius: 50%;
        border: 2px solid var(--cl-grid, #d8d8d8);
        border-top-color: var(--vscode-progressBar-background, var(--cl-accent, #005fb8));
        animation: spin 0.9s linear infinite;
      }
      @keyframes spin {
        to {
          transform: rotate(360deg);
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .spinner {
          animation: none;
        }
      }
      button.close {
        background: none;
        border: none;
        padding: 0 4px;
        color: inherit;
      }
    `,
  ];

  declare kind: 'error' | 'busy' | 'info';
  declare message: string;
  declare detail: string;
  declare dismissible: boolean;

  constructor() {
    super();
    this.kind = 'info';
    this.message = '';
    this.detail = '';
    this.dismissible = false;
  }

  override render() {
    const role = this.kind === 'error' ? 'alert' : 'status';
    return html`<div class="banner" role=${role}>
      ${this.kind === 'busy' ? html`<div class="spinner" aria-hidden="true"></div>` : null}
      <div class="text">
        <div class="message">${this.message}</div>
        ${this.detail ? html`<div class="detail mono">${this.detail}</div>` : null}
      </div>
      ${this.dismissible
        ? html`<button class="close" aria-label=${STRINGS.banner.dismiss} title=${STRINGS.banner.dismiss} @click=${() => this.dispatchEvent(new CustomEvent('cl-dismiss', { bubbles: true, composed: true }))}>✕</button>`
        : null}
    </div>`;
  }
}

if (!customElements.get('cl-banner')) customElements.define('cl-banner', ClBanner);

declare global {
  interface HTMLElementTagNameMap {
    'cl-banner': ClBanner;
  }
}

/**
 * A view's notice as a <cl-banner> (none: nothing); dismissing it asks the view's owner with a
 * `cl-dismiss-notice` event from `view`.
 */
export function noticeBanner(view: HTMLElement, notice: Notice | undefined): TemplateResult | null {
  return notice
    ? html`<cl-banner
        .kind=${notice.kind}
        .message=${notice.message}
        .detail=${notice.detail ?? ''}
        ?dismissible=${notice.kind !== 'busy'}
        @cl-dismiss=${() => view.dispatchEvent(new CustomEvent('cl-dismiss-notice', { bubbles: true, composed: true }))}
      ></cl-banner>`
    : null;
}

/** Exports a view's figure in `format` and hands it on as `cl-export` (or the failure as `cl-error`), from `view`. */
export async function exportFromView(view: HTMLElement & { exportFigure(format: ExportFormat): Promise<{ suggestedName: string; content: ExportContent }> }, format: ExportFormat): Promise<void> {
  try {
    const { suggestedName, content } = await view.exportFigure(format);
    view.dispatchEvent(new CustomEvent<ExportDetail>('cl-export', { detail: { format, suggestedName, content }, bubbles: true, composed: true }));
  } catch (err) {
    view.dispatchEvent(new CustomEvent('cl-error', { detail: { message: (err as Error).message }, bubbles: true, composed: true }));
  }
}

/** The reactive properties of a view with an export bar and a notice (noticeBanner, exportFromView). */
export const NOTICE_EXPORT_PROPERTIES = {
  exportFormats: { attribute: false },
  exportStatus: { type: String },
  exportBusy: { type: Boolean },
  notice: { attribute: false },
} as const;
