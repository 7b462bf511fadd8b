/**
 * What the series view's page gets of a column: the points it draws (protocol SeriesPayload), never
 * the whole column of a long document. Every row of the context window (where the attention is) and,
 * before it, an LTTB selection of the history (core/downsample); zooming asks for the rows of a range
 * (SeriesRange), again downsampled to what the chart can show. vscode-free.
 */
import { lttb } from '../../core/downsample';
import { patchLayout } from '../../models/patching';
import type { PatchLayout, SeriesPayload, SeriesRange } from '../../protocol';
import { timeLabels, type ColumnScan, type CsvLayout } from '../../core/csv/scan';
import { invalidCellsMessage } from '../../core/csv/cells';

/** Points of the history before the context window in the first message. */
export const OVERVIEW_POINTS = 2000;
/** Columns up to this many rows are sent whole. */
export const WHOLE_COLUMN_ROWS = 4000;
/** Context length assumed until the model says (Chronos' default). */
export const DEFAULT_CONTEXT_LENGTH = 512;

/**
 * The context window of a column: its last `contextLength` data rows; with `patch` (a Chronos-Bolt
 * model), also where its patches lie (models/patching.ts's rule, in data rows).
 */
export function contextWindow(totalRows: number, contextLength: number, patch?: { size: number; stride: number }): SeriesPayload['context'] {
  const start = Math.max(0, totalRows - contextLength);
  if (!patch) return { start, end: totalRows };
  const l = patchLayout(totalRows - start, patch.size, patch.stride);
  const patches: PatchLayout = { size: patch.size, stride: patch.stride, first: start + l.first, count: l.count };
  return { start, end: totalRows, patches };
}

/** Rows to draw: all of them for a short column, else LTTB over the history plus every context row. */
export function displayRows(values: ArrayLike<number>, context: { start: number; end: number }, overviewPoints = OVERVIEW_POINTS, wholeColumnRows = WHOLE_COLUMN_ROWS): Uint32Array {
  const total = values.length;
  if (total <= wholeColumnRows || context.start <= overviewPoints) {
    const all = new Uint32Array(total);
    for (let i = 0; i < total; i++) all[i] = i;
    return all;
  }
  const history = lttb(values, overviewPoints, 0, context.start);
  const out = new Uint32Array(history.length + (context.end - context.start));
  out.set(history);
  for (let r = context.start, k = history.length; r < context.end; r++, k++) out[k] = r;
  return out;
}

function valuesAt(values: ArrayLike<number>, rows: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const v = values[rows[k]];
    out[k] = Number.isFinite(v) ? v : null;
  }
  return out;
}

export interface PayloadSource {
  text: string;
  layout: CsvLayout;
  scan: ColumnScan;
}

/** The initSeries payload for a column (see the module comment); `patch` for a model whose positions are patches. */
export async function seriesPayload(src: PayloadSource, contextLength: number, patch?: { size: number; stride: number }): Promise<SeriesPayload> {
  const { scan, layout } = src;
  const context = contextWindow(scan.totalRows, contextLength, patch);
  const rows = displayRows(scan.values, context);
  const p: SeriesPayload = {
    file: layout.file,
    column: scan.column,
    columns: layout.numeric,
    index: Array.from(rows),
    values: valuesAt(scan.values, rows),
    totalRows: scan.totalRows,
    context,
  };
  if (scan.invalid > 0 && scan.firstInvalid) p.warnings = [invalidCellsMessage(scan.column, layout.file, scan.invalid, scan.firstInvalid)];
  const ts = await timeLabels(src.text, layout, scan, rows);
  if (ts) p.timestamps = ts;
  return p;
}

/** Rows [start, end) of the column at about `points` points (LTTB; all rows when there are fewer). */
export async function seriesRange(src: PayloadSource, start: number, end: number, points: number): Promise<SeriesRange> {
  const s = Math.max(0, Math.min(start, src.scan.totalRows));
  const e = Math.max(s, Math.min(end, src.scan.totalRows));
  const rows = lttb(src.scan.values, points, s, e);
  const r: SeriesRange = { start: s, end: e, index: Array.from(rows), values: valuesAt(src.scan.values, rows) };
  const ts = await timeLabels(src.text, src.layout, src.scan, rows);
  if (ts) r.timestamps = ts;
  return r;
}
