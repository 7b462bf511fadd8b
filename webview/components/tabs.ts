/**
 * <cl-tabs>: a tab list (WAI-ARIA tabs pattern, automatic activation): click or ArrowLeft/ArrowRight/
 * Home/End select a tab. The panel content is the caller's.
 *
 * Properties: tabs ({ id, label, badge? }[]), selected (id), label (accessible name).
 * Events: `cl-tab-change` (detail { id }), bubbling and composed.
 */
import { LitElement, css, html } from 'lit';
import { objectProps, stringProps } from './properties';
import { baseStyles } from './styles';

export interface TabItem {
  id: string;
  label: string;
  /** Small count after the label, e.g. the number of induction heads. */
  badge?: string;
}

export class ClTabs extends LitElement {
  static override properties = {
    selected: { type: String, reflect: true },
    ...objectProps('tabs'),
    ...stringProps('label'),
  };
  static override styles = [
    baseStyles,
    css`
      [role='tablist'] {
        display: flex;
        /* a narrow panel wraps the tabs onto more lines instead of hiding some behind a scroll */
        flex-wrap: wrap;
        gap: 2px;
        border-bottom: 1px solid var(--vscode-panel-border, var(--cl-grid, #d8d8d8));
      }
      [role='tab'] {
        font: inherit;
        background: none;
        border: none;
        border-bottom: 2px solid transparent;
        border-radius: 0;
        padding: 6px 12px 5px;
        color: var(--vscode-panelTitle-inactiveForeground, var(--cl-muted, #616161));
        cursor: pointer;
        text-transform: none;
        white-space: nowrap;
        flex: none;
      }
      [role='tab']:hover {
        color: var(--vscode-panelTitle-activeForeground, var(--cl-fg, #1f1f1f));
        background: none;
      }
      [role='tab'][aria-selected='true'] {
        color: var(--vscode-panelTitle-activeForeground, var(--cl-fg, #1f1f1f));
        border-bottom-color: var(--vscode-panelTitle-activeBorder, var(--cl-accent, #005fb8));
      }
      [role='tab']:focus-visible {
        outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
        outline-offset: -1px;
      }
      .badge {
        display: inline-block;
        margin-left: 6px;
        padding: 0 6px;
        border-radius: 9px;
        font-size: 0.85em;
        line-height: 16px;
        color: var(--vscode-badge-foreground, #ffffff);
        background: var(--vscode-badge-background, #616161);
      }
    `,
  ];

  declare tabs: TabItem[];
  declare selected: string;
  declare label: string;

  constructor() {
    super();
    this.tabs = [];
    this.selected = '';
    this.label = '';
  }

  #select(id: string, focus: boolean): void {
    if (id !== this.selected) {
      this.selected = id;
      this.dispatchEvent(new CustomEvent('cl-tab-change', { detail: { id }, bubbles: true, composed: true }));
    }
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`[role="tab"][data-id="${CSS.escape(id)}"]`)?.focus());
  }

  #onKey(e: KeyboardEvent): void {
    const ids = this.tabs.map((t) => t.id);
    const i = ids.indexOf(this.selected);
    let j: number;
    if (e.key === 'ArrowRight') j = (i + 1) % ids.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + ids.length) % ids.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = ids.length - 1;
    else return;
    e.preventDefault();
    this.#select(ids[j], true);
  }

  override render() {
    return html`<div role="tablist" aria-label=${this.label} @keydown=${(e: KeyboardEvent) => this.#onKey(e)}>
      ${this.tabs.map((t) => {
        const sel = t.id === this.selected;
        return html`<button role="tab" data-id=${t.id} id=${`tab-${t.id}`} aria-selected=${sel ? 'true' : 'false'} tabindex=${sel ? 0 : -1} @click=${() => this.#select(t.id, false)}>
          ${t.label}${t.badge ? html`<span class="badge">${t.badge}</span>` : null}
        </button>`;
      })}
    </div>`;
  }
}

if (!customElements.get('cl-tabs')) customElements.define('cl-tabs', ClTabs);

declare global {
  interface HTMLElementTagNameMap {
    'cl-tabs': ClTabs;
  }
}
