/**
 * Where the series view (issue 7) plugs in: the mosaic's "Show this head on the series" and the
 * Open Series View command call the registered hook; until one is registered they say so clearly.
 */
import type * as vscode from 'vscode';
import type { HeadRef } from '../analysis/types';

export interface SeriesViewHook {
  /** Opens (or focuses) the series view of a CSV, optionally with a head selected. */
  open(uri: vscode.Uri, options?: { head?: HeadRef; column?: string }): Promise<void>;
}

export const SERIES_VIEW_MISSING = 'The series view is not part of this build of Chronos Lens yet.';
