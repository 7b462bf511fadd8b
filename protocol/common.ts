/**
 * Messages every Chronos Lens webview shares with the extension host: the handshake, async
 * request/response plumbing, figure export, busy/error banners.
 *
 * Conventions (the whole protocol follows them):
 *  - every message is a plain JSON object with a string `type` (the union's discriminant);
 *  - a webview -> host message that expects an answer carries a `requestId` (unique per webview) and
 *    the host answers with exactly one `response` carrying the same id, `ok: true` with a result or
 *    `ok: false` with an error; when a panel closes, the host rejects its own pending work and the
 *    webview's pending requests die with the page;
 *  - the host validates everything a webview posts (see validate.ts) before acting on it; messages
 *    host -> webview are trusted (the host built them).
 *
 * Pure TypeScript: no DOM, no vscode, no Node. Imports result types from analysis/types.ts only.
 */

/** Bump when a message changes incompatibly; the webview announces the version it speaks in `ready`. */
export const PROTOCOL_VERSION = 1;

export type ViewId = 'mosaic' | 'ablation' | 'series' | 'atlas' | 'causal';
export const VIEW_IDS: readonly ViewId[] = ['mosaic', 'ablation', 'series', 'atlas', 'causal'];

export type ExportFormat = 'svg' | 'png' | 'json' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['svg', 'png', 'json', 'csv'];
/** Largest export payload the host accepts from a webview (characters of `content.data`). */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;

export type RequestId = string;

/** A file produced in the webview (what the user sees, in the current theme), for the host to save. */
export interface ExportContent {
  /** `utf8` for svg/json/csv text; `base64` (no `data:` prefix) for png. */
  encoding: 'utf8' | 'base64';
  data: string;
}

// ---------------------------------------------------------------------------------------------
// webview -> host

/** First message of every webview once its script runs; the host then sends the view's data. */
export interface ReadyMessage {
  type: 'ready';
  view: ViewId;
  protocolVersion: number;
}

/**
 * Save a figure. The host shows a save dialog (default name `suggestedName`), writes `content`
 * atomically and answers with ExportResponse (`saved: false` when the user cancelled the dialog).
 */
export interface ExportMessage {
  type: 'export';
  requestId: RequestId;
  format: ExportFormat;
  /** File name without folder, with the format's extension, e.g. "mosaic-cross.svg". */
  suggestedName: string;
  content: ExportContent;
}
export interface ExportResponse {
  saved: boolean;
  /** Where it was written (file system path or URI string), when saved. */
  path?: string;
}

/** The webview no longer needs the answer to a request (e.g. a newer hover superseded it). */
export interface CancelMessage {
  type: 'cancel';
  requestId: RequestId;
}

/** An exception inside the webview, for the host's output channel. */
export interface WebviewErrorMessage {
  type: 'webviewError';
  message: string;
  stack?: string;
}

/**
 * A webview -> host message that expects exactly one `response`: the message and its result type,
 * declared together (as GitLens's IpcRequest<Params, Response> does).
 */
export interface Request<M extends { type: string; requestId: RequestId }, R> {
  readonly message: M;
  readonly result: R;
}

/*
 * Each view lists its webview -> host messages once, in a table (an interface): name -> message, or
 * name -> Request<message, result>. The unions, the request names, the result map and the host's
 * validator list are derived from these tables; validate.ts must check every name, and its table
 * says which ones are requests.
 */

/** The message of a table entry (the entry itself, or a Request's message). */
export type MessageOf<E> = E extends Request<infer M, unknown> ? M : E;
/** The union of a table's messages. */
export type MessagesOf<T> = { [K in keyof T]: MessageOf<T[K]> }[keyof T];
/** The names of a table's requests. */
export type RequestNamesOf<T> = { [K in keyof T]: T[K] extends Request<{ type: string; requestId: RequestId }, unknown> ? K : never }[keyof T];

export interface CommonWebviewMessages {
  ready: ReadyMessage;
  export: Request<ExportMessage, ExportResponse>;
  cancel: CancelMessage;
  webviewError: WebviewErrorMessage;
}
export type CommonWebviewMessage = MessagesOf<CommonWebviewMessages>;

// ---------------------------------------------------------------------------------------------
// host -> webview

export type ResponseErrorCode = 'cancelled' | 'invalid' | 'failed' | 'disposed';

export interface ResponseError {
  message: string;
  code: ResponseErrorCode;
}

export interface OkResponse<T> {
  type: 'response';
  requestId: RequestId;
  ok: true;
  result: T;
}
export interface ErrorResponse {
  type: 'response';
  requestId: RequestId;
  ok: false;
  error: ResponseError;
}
export type ResponseMessage<T = unknown> = OkResponse<T> | ErrorResponse;

/** Show (or with `busy: false`, clear) a progress line in the view. */
export interface BusyMessage {
  type: 'busy';
  busy: boolean;
  message?: string;
}

/** Show an error banner in the view (the host also shows a notification where appropriate). */
export interface ErrorMessage {
  type: 'error';
  message: string;
  /** The cause, e.g. the model runtime's message. */
  detail?: string;
}

/**
 * Ask the view to export its current figure (the palette's "Export Current Figure…"); the view
 * answers with an `export` message (a request of its own, with a fresh requestId).
 */
export interface RequestExportMessage {
  type: 'requestExport';
  format: ExportFormat;
}

export type CommonHostMessage = ResponseMessage | BusyMessage | ErrorMessage | RequestExportMessage;
