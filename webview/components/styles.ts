/**
 * Styles shared by the components. Colours come from the `--cl-*` tokens (render/theme.ts, defined
 * from VS Code's theme variables) or directly from VS Code's widget variables, each with a fallback
 * so the components also look right outside VS Code (standalone HTML figures, tests).
 */
import { css } from 'lit';

export const baseStyles = css`
  :host {
    display: block;
    color: var(--cl-fg, #1f1f1f);
    font-family: var(--cl-font, system-ui, sans-serif);
    font-size: var(--vscode-font-size, 13px);
    line-height: 1.4;
  }
  [hidden] {
    display: none !important;
  }
  h1,
  h2,
  h3 {
    font-weight: 600;
    margin: 0;
  }
  h1 {
    font-size: 1.25em;
  }
  h2 {
    font-size: 1.05em;
  }
  .muted {
    color: var(--cl-muted, #616161);
  }
  button {
    font: inherit;
    color: var(--vscode-button-secondaryForeground, var(--cl-fg, #1f1f1f));
    background: var(--vscode-button-secondaryBackground, rgba(128, 128, 128, 0.14));
    border: 1px solid var(--vscode-button-border, transparent);
    border-radius: 2px;
    padding: 3px 10px;
    cursor: pointer;
    line-height: 18px;
  }
  button:hover:not(:disabled) {
    background: var(--vscode-button-secondaryHoverBackground, rgba(128, 128, 128, 0.24));
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  button.primary {
    color: var(--vscode-button-foreground, #ffffff);
    background: var(--vscode-button-background, #005fb8);
  }
  button.primary:hover:not(:disabled) {
    background: var(--vscode-button-hoverBackground, #0258a8);
  }
  :focus-visible {
    outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
    outline-offset: 1px;
  }
  table {
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  caption {
    text-align: left;
    font-weight: 600;
    padding: 0 0 6px;
  }
  th,
  td {
    padding: 4px 12px 4px 0;
    text-align: left;
    border-bottom: 1px solid var(--cl-grid, #d8d8d8);
  }
  thead th {
    color: var(--cl-muted, #616161);
    font-weight: 600;
  }
  tbody th {
    font-weight: normal;
  }
  .num {
    text-align: right;
  }
  /* A narrow panel shows each row of a stackable table (render/dom.ts makeStackable) as a card. */
  @media (max-width: 559px) {
    table.stackable,
    table.stackable tbody,
    table.stackable tr,
    table.stackable th,
    table.stackable td,
    table.stackable caption {
      display: block;
    }
    table.stackable {
      width: 100%;
    }
    table.stackable thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    table.stackable tr {
      padding: 4px 0;
      border-bottom: 1px solid var(--cl-grid, #d8d8d8);
    }
    table.stackable th,
    table.stackable td {
      border: none;
      padding: 1px 0;
    }
    table.stackable tbody th {
      font-weight: 600;
    }
    table.stackable td {
      display: flex;
      justify-content: space-between;
      gap: 12px;
      text-align: right;
    }
    table.stackable td::before {
      content: attr(data-label);
      color: var(--cl-muted, #616161);
      text-align: left;
    }
  }
  details > summary {
    cursor: pointer;
    color: var(--cl-muted, #616161);
  }
  code,
  .mono {
    font-family: var(--vscode-editor-font-family, ui-monospace, 'SF Mono', Menlo, Consolas, monospace);
    font-size: 0.92em;
  }
`;

/**
 * A widget laid over its offset parent at (x, y) (tooltip, action menu), hidden until `open`; each sets its own
 * z-index so that a menu stays above a tooltip.
 */
export const overlayHostStyles = css`
  :host {
    position: absolute;
    left: 0;
    top: 0;
    display: none;
  }
  :host([open]) {
    display: block;
  }
`;

/** The reactive properties of an overlay (see overlayHostStyles). */
export const OVERLAY_PROPERTIES = {
  x: { type: Number },
  y: { type: Number },
  open: { type: Boolean, reflect: true },
} as const;

/** The declarations of a layer that covers its positioned parent and lets the pointer through (a canvas or
 * overlay drawn over or under an SVG); interpolated into a rule: `.strip canvas { ${fillLayer} }`. */
export const fillLayer = css`
  position: absolute;
  left: 0;
  top: 0;
  width: 100%;
  height: 100%;
  pointer-events: none;
`;

/** Drop-downs in VS Code's dropdown colours. */
export const selectStyles = css`
  select {
    font: inherit;
    color: var(--vscode-dropdown-foreground, var(--cl-fg, #1f1f1f));
    background: var(--vscode-dropdown-background, var(--cl-bg, #ffffff));
    border: 1px solid var(--vscode-dropdown-border, var(--cl-grid, #c8c8c8));
    border-radius: 2px;
    padding: 2px 4px;
  }
  select:disabled {
    opacity: 0.5;
  }
`;

/** A result view's frame: its padding, and the header with the title on the left and the actions on the right. */
export const viewFrameStyles = css`
  :host {
    padding: 12px 16px 24px;
  }
  header {
    display: flex;
    flex-wrap: wrap;
    justify-content: space-between;
    align-items: flex-start;
    gap: 8px 24px;
  }
  .subtitle {
    margin-top: 2px;
  }
`;
