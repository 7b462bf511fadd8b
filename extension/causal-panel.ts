/** The residual-stream panel (host side): one CausalRun on the 'causal' view's page. */
import * as vscode from 'vscode';
import type { CausalFigure, CausalHostMessage, CausalRun, ValidationContext } from '../protocol';
import type { NotificationOf } from './lib/router';
import { ViewPanel, type PanelDeps } from './panels';

export const CAUSAL_VIEW_TYPE = 'chronosLens.causal';

export interface CausalPanelState {
  run: CausalRun;
  figure?: CausalFigure;
  /** The CSV the run read (where the save dialog starts). */
  csv?: vscode.Uri;
}

export class CausalPanel extends ViewPanel<'causal'> {
  #state: CausalPanelState;

  constructor(deps: PanelDeps, state: CausalPanelState, opts: { column?: vscode.ViewColumn; preserveFocus?: boolean } = {}) {
    super(deps, 'causal', {
      viewType: CAUSAL_VIEW_TYPE,
      title: causalTitle(state.run),
      column: opts.column ?? vscode.ViewColumn.Beside,
      preserveFocus: opts.preserveFocus ?? false,
      initialState: showCausal(state),
    });
    this.#state = state;
  }

  get state(): Readonly<CausalPanelState> {
    return this.#state;
  }

  show(state: CausalPanelState): void {
    this.#state = state;
    this.panel.title = causalTitle(state.run);
    this.refresh();
  }

  protected showMessage(): CausalHostMessage {
    return showCausal(this.#state);
  }

  protected validationContext(): ValidationContext {
    return {};
  }

  protected exportFolder(): vscode.Uri | undefined {
    const csv = this.#state.csv;
    if (csv) return vscode.Uri.joinPath(csv, '..');
    return vscode.workspace.workspaceFolders?.[0]?.uri;
  }

  // The page sends only the common messages (ready, export, …), which ViewPanel handles.
  protected handle(_m: NotificationOf<'causal'>): void {}
}

function causalTitle(run: CausalRun): string {
  return vscode.l10n.t('Residual stream · {0}', run.label);
}

function showCausal(s: CausalPanelState): CausalHostMessage {
  return { type: 'showCausal', run: s.run, ...(s.figure ? { figure: s.figure } : {}) };
}
