/**
 * <cl-tooltip>: a small hover card positioned at (x, y) in its offset parent (the point it
 * describes; the card sits above it, or below when there is no room). Purely presentational.
 *
 * Properties: heading (string), lines (string[]), x, y (px), open (boolean).
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps } from './properties';
import { OVERLAY_PROPERTIES, baseStyles, overlayHostStyles } from './styles';

export class ClTooltip extends LitElement {
  static override properties = {
    ...OVERLAY_PROPERTIES,
    ...objectProps('lines'),
    ...stringProps('heading'),
  };
  static override styles = [
    baseStyles,
    overlayHostStyles,
    css`
      :host {
        z-index: 20;
        pointer-events: none;
      }
      .card {
        position: absolute;
        white-space: nowrap;
        padding: 5px 9px;
        border-radius: 3px;
        color: var(--vscode-editorHoverWidget-foreground, var(--cl-fg, #1f1f1f));
        background: var(--vscode-editorHoverWidget-background, var(--cl-bg, #ffffff));
        border: 1px solid var(--vscode-editorHoverWidget-border, var(--cl-grid, #c8c8c8));
        box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0, 0, 0, 0.2));
        font-variant-numeric: tabular-nums;
      }
      .heading {
        font-weight: 600;
      }
      .line {
        color: var(--vscode-editorHoverWidget-foreground, var(--cl-fg, #1f1f1f));
      }
    `,
  ];

  declare heading: string;
  declare lines: string[];
  declare x: number;
  declare y: number;
  declare open: boolean;

  constructor() {
    super();
    this.heading = '';
    this.lines = [];
    this.x = 0;
    this.y = 0;
    this.open = false;
  }

  override render() {
    return html`<div class="card" role="tooltip" id="tip">
      ${this.heading ? html`<div class="heading">${this.heading}</div>` : null} ${this.lines.map((l) => html`<div class="line">${l}</div>`)}
    </div>`;
  }

  protected override updated(): void {
    // Positioned through the CSSOM, never a style attribute (a strict CSP blocks those). Above the
    // point, centred, kept inside the offset parent horizontally; below the point near the top.
    const card = this.renderRoot.querySelector<HTMLElement>('.card');
    if (!card || !this.open) return;
    const parentW = (this.offsetParent as HTMLElement | null)?.clientWidth ?? Infinity;
    const w = card.offsetWidth;
    const left = Math.max(2, Math.min(this.x - w / 2, parentW - w - 2));
    card.style.left = `${Number.isFinite(left) ? left : this.x}px`;
    card.style.top = `${this.y}px`;
    card.style.transform = this.y < 64 ? 'translateY(14px)' : 'translateY(calc(-100% - 10px))';
  }
}

if (!customElements.get('cl-tooltip')) customElements.define('cl-tooltip', ClTooltip);

declare global {
  interface HTMLElementTagNameMap {
    'cl-tooltip': ClTooltip;
  }
}
