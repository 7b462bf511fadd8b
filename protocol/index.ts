/**
 * The typed host <-> webview message protocol of Chronos Lens (one protocol for every view).
 * See common.ts for the conventions, mosaic.ts / ablation.ts / series.ts for each view's messages,
 * validate.ts for the host-side run-time validators.
 */
import type { AblationHostMessage, AblationWebviewMessage } from './ablation';
import type { ExportMessage, ExportResponse, ErrorResponse, OkResponse, RequestId, ResponseErrorCode, ViewId } from './common';
import type { MosaicHostMessage, MosaicWebviewMessage } from './mosaic';
import type { LensResponse, RequestLensMessage, RequestRangeMessage, SeriesHostMessage, SeriesRange, SeriesWebviewMessage } from './series';

export * from './common';
export * from './mosaic';
export * from './ablation';
export * from './series';
export * from './validate';

/** Every message a webview may post. */
export type WebviewMessage = MosaicWebviewMessage | AblationWebviewMessage | SeriesWebviewMessage;
/** Every message the host may post to a webview. */
export type HostMessage = MosaicHostMessage | AblationHostMessage | SeriesHostMessage;

export type HostMessageOf<V extends ViewId> = V extends 'mosaic' ? MosaicHostMessage : V extends 'ablation' ? AblationHostMessage : SeriesHostMessage;

/** Webview -> host messages that expect a `response`, and the result type of each. */
export interface RequestResultMap {
  export: ExportResponse;
  requestLens: LensResponse;
  requestRange: SeriesRange;
}
export type RequestMessage = ExportMessage | RequestLensMessage | RequestRangeMessage;
export type RequestType = RequestMessage['type'];
export type RequestResult<T extends RequestType> = RequestResultMap[T];

export function isRequestMessage(m: WebviewMessage): m is RequestMessage {
  return m.type === 'export' || m.type === 'requestLens' || m.type === 'requestRange';
}

export function okResponse<T extends RequestType>(_type: T, requestId: RequestId, result: RequestResultMap[T]): OkResponse<RequestResultMap[T]> {
  return { type: 'response', requestId, ok: true, result };
}

export function errorResponse(requestId: RequestId, code: ResponseErrorCode, message: string): ErrorResponse {
  return { type: 'response', requestId, ok: false, error: { code, message } };
}
