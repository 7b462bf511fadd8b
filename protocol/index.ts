/**
 * The typed host <-> webview message protocol of Chronos Lens (one protocol for every view).
 * See common.ts for the conventions, mosaic.ts / ablation.ts / series.ts for each view's messages,
 * validate.ts for the host-side run-time validators.
 */
import type { AblationHostMessage, AblationWebviewMessage, AblationWebviewMessages } from './ablation';
import type { AtlasHostMessage, AtlasWebviewMessage, AtlasWebviewMessages } from './atlas';
import type { CausalHostMessage, CausalWebviewMessage, CausalWebviewMessages } from './causal';
import type { CommonWebviewMessages, ErrorResponse, MessageOf, OkResponse, RequestId, RequestNamesOf, ResponseErrorCode, ViewId } from './common';
import type { MosaicHostMessage, MosaicWebviewMessage, MosaicWebviewMessages } from './mosaic';
import type { SeriesHostMessage, SeriesWebviewMessage, SeriesWebviewMessages } from './series';

export * from './common';
export * from './mosaic';
export * from './ablation';
export * from './series';
export * from './atlas';
export * from './causal';
export * from './validate';

/** Every message a webview may post. */
export type WebviewMessage = MosaicWebviewMessage | AblationWebviewMessage | SeriesWebviewMessage | AtlasWebviewMessage | CausalWebviewMessage;
/** Every message the host may post to a webview. */
export type HostMessage = MosaicHostMessage | AblationHostMessage | SeriesHostMessage | AtlasHostMessage | CausalHostMessage;

export type HostMessageOf<V extends ViewId> = V extends 'mosaic'
  ? MosaicHostMessage
  : V extends 'ablation'
    ? AblationHostMessage
    : V extends 'atlas'
      ? AtlasHostMessage
      : V extends 'causal'
        ? CausalHostMessage
        : SeriesHostMessage;

/** Every webview -> host message by name: the views' tables together. */
export type WebviewMessageTable = CommonWebviewMessages & MosaicWebviewMessages & AblationWebviewMessages & SeriesWebviewMessages & AtlasWebviewMessages & CausalWebviewMessages;

/** The names of the webview -> host messages that expect a `response`. */
export type RequestType = RequestNamesOf<WebviewMessageTable>;
/** Each request's result type, from its Request<message, result> entry. */
export type RequestResultMap = { [K in RequestType]: WebviewMessageTable[K] extends { result: infer R } ? R : never };
export type RequestMessage = MessageOf<WebviewMessageTable[RequestType]>;

export function okResponse<T extends RequestType>(_type: T, requestId: RequestId, result: RequestResultMap[T]): OkResponse<RequestResultMap[T]> {
  return { type: 'response', requestId, ok: true, result };
}

export function errorResponse(requestId: RequestId, code: ResponseErrorCode, message: string): ErrorResponse {
  return { type: 'response', requestId, ok: false, error: { code, message } };
}
