/**
 * Where the series view (issue 7) plugs in: the mosaic's "Show this head on the series" and the
 * Open Series View command call the registered hook; until one is registered they say so clearly.
 */
import type * as vscode from 'vscode';
import type { HeadRef } from '../analysis/types';
import type { ExportablePanel } from './figure-export';

export interface SeriesViewHook {
  /** Opens (or focuses) the series view of a CSV, optionally with a head selected. */
  open(uri: vscode.Uri, options?: { head?: HeadRef; column?: string }): Promise<void>;
  /** The series view in the active editor tab, if one is (Export Current Figure… exports it). */
  activeView?(): ExportablePanel | undefined;
}

export const SERIES_VIEW_MISSING = 'The series view is not part of this build of Chronos Lens yet.';
