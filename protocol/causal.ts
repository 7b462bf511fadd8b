/**
 * The residual-stream panel: the host shows a CausalRun (direct attribution with the per-layer lens,
 * activation patching, or layer ablation); the page draws one figure per part it holds. The page
 * asks nothing of the host beyond the common messages (export, ready, …).
 */
import type { AttributionResult, HeadRef, LayerAblationResult, LayerLensResult, PatchingResult } from '../analysis/types';
import type { CommonHostMessage, CommonWebviewMessage, MessagesOf } from './common';

/** The panel's figures, in tab order. */
export type CausalFigure = 'attribution' | 'layerLens' | 'patching' | 'layerAblation';
export const CAUSAL_FIGURES: readonly CausalFigure[] = ['attribution', 'layerLens', 'patching', 'layerAblation'];
/** Each figure's name (tabs, figure titles, the CLI's pages). */
export const CAUSAL_FIGURE_LABEL: Readonly<Record<CausalFigure, string>> = {
  attribution: 'Attribution',
  layerLens: 'Per-layer forecast',
  patching: 'Activation patching',
  layerAblation: 'Layer ablation',
};

/** One run of Attribute Forecast…, Patch Activations… or Ablate Layers…. */
export interface CausalRun {
  /** What ran, e.g. "Attribution · periodic.csv · value · step 3". */
  label: string;
  /** The CSV column the run read, when it read one. */
  series?: { file: string; column: string };
  attribution?: AttributionResult;
  layerLens?: LayerLensResult;
  patching?: PatchingResult;
  layerAblation?: LayerAblationResult;
  /** Heads outlined in the patching maps (e.g. the mosaic cell the run started from). */
  marked?: HeadRef[];
}

// host -> webview

/** Show a run (replaces the one shown). */
export interface ShowCausalMessage {
  type: 'showCausal';
  run: CausalRun;
  /** Tab to open; default the first figure the run has. */
  figure?: CausalFigure;
}

export type CausalHostMessage = ShowCausalMessage | CommonHostMessage;

// webview -> host

/** The residual-stream view's own webview -> host messages (see MessageTable): none beyond the common ones. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CausalWebviewMessages {}
export type CausalWebviewMessage = MessagesOf<CausalWebviewMessages> | CommonWebviewMessage;
