/**
 * The sweep atlas panel: the host shows an atlas (the merged results of a sweep) with the reference
 * mosaic of each model; a number the user follows asks the host to open its task's manifest.
 */
import type { AtlasSummary, MosaicResult } from '../analysis/types';
import type { CommonHostMessage, CommonWebviewMessage, MessagesOf } from './common';

/** A model's reference mosaic, drawn beside the others at the one colour scale. */
export interface AtlasMosaic {
  /** The task that produced it (its manifest is the link). */
  task: string;
  result: MosaicResult;
}

// host -> webview

export interface ShowAtlasMessage {
  type: 'showAtlas';
  atlas: AtlasSummary;
  mosaics: AtlasMosaic[];
  /** What was opened, for the heading: the sweep folder's or the atlas file's name. */
  source: string;
}

export type AtlasHostMessage = ShowAtlasMessage | CommonHostMessage;

// webview -> host

/** Open a task's manifest (task.json) in an editor. */
export interface OpenManifestMessage {
  type: 'openManifest';
  task: string;
}

/** The atlas view's own webview -> host messages (see MessageTable). */
export interface AtlasWebviewMessages {
  openManifest: OpenManifestMessage;
}
export type AtlasWebviewMessage = MessagesOf<AtlasWebviewMessages> | CommonWebviewMessage;
