/** The ablation report panel: the host shows an AblationResult; earlier runs can be reopened. */
import type { AblationResult } from '../analysis/types';
import type { CommonHostMessage, CommonWebviewMessage, MessagesOf } from './common';

/** An earlier run kept in workspace storage, listed so it can be reopened. */
export interface AblationRunSummary {
  /** Opaque id (the host's storage key). */
  id: string;
  /** Short description, e.g. "zero · L3.H5, L4.H1 · 20 controls". */
  label: string;
  /** ISO 8601. */
  createdAt: string;
}

// host -> webview

export interface ShowAblationMessage {
  type: 'showAblation';
  result: AblationResult;
  /** The shown run's id in `runs`, when it is stored. */
  runId?: string;
  /** Stored runs, newest first. */
  runs?: AblationRunSummary[];
}

export type AblationHostMessage = ShowAblationMessage | CommonHostMessage;

// webview -> host

/** Reopen a stored run (the host answers with showAblation). */
export interface OpenRunMessage {
  type: 'openRun';
  runId: string;
}

/** The ablation view's own webview -> host messages (see MessageTable). */
export interface AblationWebviewMessages {
  openRun: OpenRunMessage;
}
export type AblationWebviewMessage = MessagesOf<AblationWebviewMessages> | CommonWebviewMessage;
