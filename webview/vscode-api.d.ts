/**
 * The API VS Code injects into webviews (`acquireVsCodeApi`, callable once per page). Typed here so
 * webview code never touches it untyped; only webview/entries/* call it.
 */
interface VsCodeWebviewApi<State = unknown> {
  /** Post a message to the extension host (JSON-serialisable). */
  postMessage(message: unknown): void;
  /** The state saved with setState, restored when the webview is shown again. */
  getState(): State | undefined;
  setState<T extends State | undefined>(newState: T): T;
}

declare function acquireVsCodeApi<State = unknown>(): VsCodeWebviewApi<State>;
