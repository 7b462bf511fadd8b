/** The styles of <cl-series-view> (the toolbar has its own, in series-toolbar.ts). */
import { css } from 'lit';
import { fillLayer, viewFrameStyles } from './styles';

export const seriesViewStyles = css`
  ${viewFrameStyles}
  :host {
    padding-bottom: 20px;
  }
  header {
    align-items: flex-end;
    gap: 6px 24px;
  }
  .warnings,
  .model-note {
    margin-top: 2px;
    overflow-wrap: anywhere;
  }
  button.link {
    padding: 0;
    border: none;
    background: none;
    color: var(--vscode-textLink-foreground);
    font: inherit;
    text-decoration: underline;
    cursor: pointer;
  }
  button.link:hover {
    color: var(--vscode-textLink-activeForeground);
  }
  button.link:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: 1px;
  }
  cl-banner {
    margin: 8px 0 0;
  }
  label.field {
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }
  .main {
    display: grid;
    grid-template-columns: minmax(0, 1fr);
    gap: 12px 20px;
    align-items: start;
  }
  .main.wide {
    /* SIDE_WIDTH */
    grid-template-columns: minmax(0, 1fr) 420px;
  }
  .charts {
    /* the forecast steps' action menu is placed in it */
    position: relative;
    min-width: 0;
    outline: none;
    border-radius: 2px;
  }
  .charts:focus-visible {
    outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
    outline-offset: 2px;
  }
  .stage {
    position: relative;
    width: fit-content;
    max-width: 100%;
    cursor: crosshair;
    touch-action: none;
  }
  .stage.dragging {
    cursor: grabbing;
  }
  .stage svg,
  .strip svg,
  .overview svg,
  .periodic svg {
    display: block;
    max-width: 100%;
    height: auto;
  }
  .stage .cl-series-overlay,
  .stage .cl-patch-bands {
    ${fillLayer}
  }
  /* hovers redraw inside these boxes only */
  .stage,
  .strip,
  .readout,
  .side {
    contain: layout paint;
  }
  .strip {
    position: relative;
    width: fit-content;
    max-width: 100%;
  }
  /* the bars' canvas under the strip's SVG, scaled with it */
  .strip canvas {
    ${fillLayer}
  }
  .strip svg {
    position: relative;
  }
  .strip.stale svg,
  .strip.stale canvas {
    opacity: 0.45;
  }
  .overview {
    margin-top: 2px;
    cursor: pointer;
    touch-action: none;
  }
  .periodic {
    margin-top: 10px;
  }
  .group {
    min-width: 0;
  }
  .group h3 {
    font-size: 0.92em;
    font-weight: 600;
    margin: 8px 0 2px;
  }
  .group .note {
    margin: 2px 0 6px;
    font-size: 0.92em;
  }
  .group-matrices {
    display: flex;
    flex-wrap: wrap;
    gap: 8px 14px;
  }
  .group-matrices.stale,
  .group-lines.stale {
    opacity: 0.6;
  }
  .group-matrices svg,
  .group-lines svg {
    display: block;
    max-width: 100%;
    height: auto;
  }
  button.task {
    font: inherit;
    color: var(--vscode-button-secondaryForeground, inherit);
    background: var(--vscode-button-secondaryBackground, transparent);
    border: 1px solid var(--vscode-button-border, var(--cl-grid, #8888));
    border-radius: 2px;
    padding: 2px 8px;
    cursor: pointer;
  }
  button.task:focus-visible {
    outline: 1px solid var(--vscode-focusBorder, var(--cl-accent, #005fb8));
    outline-offset: 2px;
  }
  .periodic .pcell {
    cursor: pointer;
  }
  h2 {
    font-size: 1em;
    margin: 0 0 4px;
  }
  .side {
    min-width: 0;
    overflow-x: auto;
  }
  .side .note {
    margin: 4px 0 0;
    font-size: 0.92em;
  }
  .readout {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 4px 16px;
    margin-top: 10px;
    padding: 6px 10px;
    border-radius: 3px;
    background: var(--vscode-editorWidget-background, rgba(128, 128, 128, 0.08));
    border: 1px solid var(--vscode-editorWidget-border, transparent);
    font-variant-numeric: tabular-nums;
    min-height: 22px;
  }
  .readout strong {
    font-weight: 600;
  }
  .readout button {
    margin-left: auto;
    padding: 1px 8px;
  }
  .hint {
    margin: 8px 0 0;
    font-size: 0.92em;
  }
  kbd {
    font-family: var(--vscode-editor-font-family, monospace);
    font-size: 0.9em;
    padding: 0 4px;
    border-radius: 3px;
    border: 1px solid var(--vscode-keybindingLabel-border, var(--cl-grid, #c8c8c8));
    background: var(--vscode-keybindingLabel-background, transparent);
  }
  .empty {
    padding: 32px 0;
  }
`;
