/** The induction-mosaic panel: the host shows a MosaicResult; cell actions go back to the host. */
import type { AttentionKind, HeadRef, MosaicResult } from '../analysis/types';
import type { CommonHostMessage, CommonWebviewMessage, MessagesOf } from './common';

/** The attention kinds in the order the views list them (cross, encoder, decoder): the webview takes values from protocol/ only. */
export { ATTENTION_KINDS } from '../analysis/types';

// host -> webview

/** Show a mosaic (replaces any shown before). */
export interface ShowMosaicMessage {
  type: 'showMosaic';
  result: MosaicResult;
  /** Tab to open; default: the first kind the result has (cross, encoder, decoder). */
  kind?: AttentionKind;
  /** Heads currently in the ablation set (marked in the heatmaps). */
  ablationSet?: HeadRef[];
  /** Panel heading, e.g. "chronos-t5-small · AirPassengers.csv"; default from the result. */
  title?: string;
  /**
   * The host's id for this panel's saved mosaic. The page keeps the message in its webview state, and after a
   * window reload the host reopens the panel from that id (the page's copy of the result is not trusted).
   */
  panelId?: string;
}

/** The ablation set changed (e.g. after addToAblationSet, or cleared from the palette). */
export interface SetAblationSetMessage {
  type: 'setAblationSet';
  heads: HeadRef[];
}

export type MosaicHostMessage = ShowMosaicMessage | SetAblationSetMessage | CommonHostMessage;

// webview -> host

/** "Show this head on the series": open/focus the series view with this head selected. */
export interface ShowHeadOnSeriesMessage {
  type: 'showHeadOnSeries';
  head: HeadRef;
}
/** "Ablate this head": run an ablation of this single head with the configured defaults. */
export interface AblateHeadMessage {
  type: 'ablateHead';
  head: HeadRef;
}
/** "Add to ablation set": the host keeps the set and answers with setAblationSet. */
export interface AddToAblationSetMessage {
  type: 'addToAblationSet';
  head: HeadRef;
}
/**
 * "Patch this head": the host runs activation patching on the repeated-token protocol (every head's map,
 * and this head patched alone) and shows it in the residual-stream panel with the head outlined.
 */
export interface PatchHeadMessage {
  type: 'patchHead';
  head: HeadRef;
}
/** The user switched tabs; the host remembers it for "Export Current Figure…" and restore. */
export interface KindChangedMessage {
  type: 'kindChanged';
  kind: AttentionKind;
}

export type MosaicCellAction = 'showHeadOnSeries' | 'ablateHead' | 'addToAblationSet' | 'patchHead';

/** The mosaic view's own webview -> host messages (see MessageTable). */
export interface MosaicWebviewMessages {
  showHeadOnSeries: ShowHeadOnSeriesMessage;
  ablateHead: AblateHeadMessage;
  addToAblationSet: AddToAblationSetMessage;
  patchHead: PatchHeadMessage;
  kindChanged: KindChangedMessage;
}
export type MosaicWebviewMessage = MessagesOf<MosaicWebviewMessages> | CommonWebviewMessage;
