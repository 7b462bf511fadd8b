/**
 * <cl-action-menu>: a context menu at (x, y) in its offset parent (WAI-ARIA menu pattern).
 * Opening focuses the first item; ArrowUp/ArrowDown/Home/End move, Enter/Space choose, Escape or Tab
 * close; a pointer press outside closes it.
 *
 * Properties: items ({ id, label, hint? }[]), label (accessible name), x, y (px), open (boolean).
 * Events: `cl-menu-select` (detail { id }), `cl-menu-close` (detail { reason: 'escape' | 'outside' | 'tab' | 'select' }).
 * Both bubble and cross shadow roots.
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps } from './properties';
import { OVERLAY_PROPERTIES, baseStyles, overlayHostStyles } from './styles';

export interface MenuItem {
  id: string;
  label: string;
  /** Secondary text, e.g. a keyboard hint or what the action does. */
  hint?: string;
}

export type MenuCloseReason = 'escape' | 'outside' | 'tab' | 'select';

export class ClActionMenu extends LitElement {
  static override properties = {
    ...OVERLAY_PROPERTIES,
    ...objectProps('items'),
    ...stringProps('label'),
  };
  static override styles = [
    baseStyles,
    overlayHostStyles,
    css`
      :host {
        z-index: 30;
      }
      [role='menu'] {
        position: absolute;
        min-width: 220px;
        margin: 0;
        padding: 4px 0;
        list-style: none;
        color: var(--vscode-menu-foreground, var(--cl-fg, #1f1f1f));
        background: var(--vscode-menu-background, var(--cl-bg, #ffffff));
        border: 1px solid var(--vscode-menu-border, var(--cl-grid, #c8c8c8));
        border-radius: 5px;
        box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0, 0, 0, 0.24));
      }
      .title {
        padding: 2px 12px 4px;
        color: var(--cl-muted, #616161);
        font-size: 0.92em;
        border-bottom: 1px solid var(--vscode-menu-separatorBackground, var(--cl-grid, #d8d8d8));
        margin-bottom: 4px;
      }
      [role='menuitem'] {
        display: flex;
        justify-content: space-between;
        gap: 16px;
        padding: 3px 12px;
        margin: 0 4px;
        border-radius: 3px;
        cursor: pointer;
        outline: none;
        border: 1px solid transparent;
        white-space: nowrap;
      }
      [role='menuitem']:hover,
      [role='menuitem']:focus {
        color: var(--vscode-menu-selectionForeground, #ffffff);
        background: var(--vscode-menu-selectionBackground, var(--cl-accent, #005fb8));
      }
      [role='menuitem']:focus-visible {
        border-color: var(--vscode-menu-selectionBorder, transparent);
      }
      .hint {
        opacity: 0.75;
      }
      /* on the selection background a dimmed hint falls below 4.5:1 contrast */
      [role='menuitem']:hover .hint,
      [role='menuitem']:focus .hint {
        opacity: 1;
      }
    `,
  ];

  declare items: MenuItem[];
  declare label: string;
  declare x: number;
  declare y: number;
  declare open: boolean;

  #onDocPointer = (e: Event) => {
    if (this.open && !e.composedPath().includes(this)) this.close('outside');
  };

  constructor() {
    super();
    this.items = [];
    this.label = '';
    this.x = 0;
    this.y = 0;
    this.open = false;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.ownerDocument.addEventListener('pointerdown', this.#onDocPointer, true);
  }

  override disconnectedCallback(): void {
    this.ownerDocument.removeEventListener('pointerdown', this.#onDocPointer, true);
    super.disconnectedCallback();
  }

  /** Opens at (x, y) and focuses the first item. */
  async show(x: number, y: number): Promise<void> {
    this.x = x;
    this.y = y;
    this.open = true;
    await this.updateComplete;
    this.#itemEls()[0]?.focus();
  }

  close(reason: MenuCloseReason): void {
    if (!this.open) return;
    this.open = false;
    this.dispatchEvent(new CustomEvent('cl-menu-close', { detail: { reason }, bubbles: true, composed: true }));
  }

  #itemEls(): HTMLElement[] {
    return [...(this.renderRoot.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  }

  #choose(id: string): void {
    this.dispatchEvent(new CustomEvent('cl-menu-select', { detail: { id }, bubbles: true, composed: true }));
    this.close('select');
  }

  #onKey(e: KeyboardEvent): void {
    const items = this.#itemEls();
    const active = (this.renderRoot as ShadowRoot).activeElement as HTMLElement | null;
    const i = active ? items.indexOf(active) : -1;
    const move = (j: number) => items[(j + items.length) % items.length]?.focus();
    switch (e.key) {
      case 'ArrowDown':
        move(i + 1);
        break;
      case 'ArrowUp':
        move(i - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(items.length - 1);
        break;
      case 'Enter':
      case ' ': {
        const id = items[i]?.dataset.id;
        if (id) this.#choose(id);
        break;
      }
      case 'Escape':
        this.close('escape');
        break;
      case 'Tab':
        this.close('tab');
        return; // let focus move on
      default:
        return;
    }
    e.preventDefault();
    e.stopPropagation();
  }

  protected override updated(): void {
    // Positioned through the CSSOM (a strict CSP blocks style attributes); kept inside the offset
    // parent horizontally (shifted left near its right edge).
    const menu = this.renderRoot.querySelector<HTMLElement>('[role="menu"]');
    if (!menu) return;
    const parentW = (this.offsetParent as HTMLElement | null)?.clientWidth ?? Infinity;
    const w = menu.offsetWidth || 240;
    menu.style.left = `${this.x + w > parentW ? Math.max(0, parentW - w - 4) : this.x}px`;
    menu.style.top = `${this.y}px`;
  }

  override render() {
    return html`<div role="menu" aria-label=${this.label} @keydown=${(e: KeyboardEvent) => this.#onKey(e)}>
      ${this.label ? html`<div class="title" aria-hidden="true">${this.label}</div>` : null}
      ${this.items.map(
        (it) =>
          html`<div role="menuitem" tabindex="-1" data-id=${it.id} @click=${() => this.#choose(it.id)}>
            <span>${it.label}</span>${it.hint ? html`<span class="hint">${it.hint}</span>` : null}
          </div>`,
      )}
    </div>`;
  }
}

if (!customElements.get('cl-action-menu')) customElements.define('cl-action-menu', ClActionMenu);

declare global {
  interface HTMLElementTagNameMap {
    'cl-action-menu': ClActionMenu;
  }
}
