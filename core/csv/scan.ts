/**
 * Streaming a CSV document's text (an editor's document, already in memory) for one column without
 * stalling the event loop, however long the document (10^6 rows and more); the series view reads its
 * documents this way:
 *
 *  - `csvLayout`: the structure (delimiter, header, column names and kinds, the time axis) from
 *    core/csv on the first ~64 kB of the text (the whole text when it is shorter), so a column's kind
 *    is judged as everywhere else in Chronos Lens;
 *  - `scanColumn`: one pass over the whole text that keeps, per data row, only the chosen column's
 *    number, the 0-based line where the row starts and the row's offset in the text (about 16 bytes a
 *    row), in slices of a few milliseconds with a yield to the event loop between them, cancellable;
 *    no per-row strings are kept;
 *  - `cellText` / `timeLabels`: the text of one cell of a row, read back from the text on demand (the
 *    time axis for the displayed points only).
 *
 * Rows follow core/csv's rules: records end at CR, LF or CRLF outside quotes; blank records and
 * records whose cells are all empty are not data rows; the header (when there is one) is the first
 * non-blank record; cells are trimmed; quoted cells may hold delimiters, doubled quotes and line
 * breaks. Numbers are read with parseNumberCell (decimal commas for `;` files); anything else reads
 * as missing (NaN), and text that is not a missing marker is counted (`invalid`) so that it can be said. The record rules are csv-parse's as read.ts configures it; the scan is its own
 * loop because it keeps no per-row strings, and test/unit/csv/scan.test.ts holds the two to the same
 * rows on the sample and real files. csv-parse (read.ts) is only loaded when a layout is judged, so a
 * host that imports this module stays light until then.
 */
import { CancelledError, ChronosLensError } from '../errors';
import { isMissingMarker, parseNumberCell } from './cells';
import { defaultValueColumn } from './table';
import { parseTimestamp } from './timestamps';
import type { CsvColumn, CsvDelimiter } from './types';

/** Characters of the document the structure is judged on. */
export const LAYOUT_SAMPLE_CHARS = 64 * 1024;

export interface CsvLayout {
  file: string;
  delimiter: CsvDelimiter;
  hasHeader: boolean;
  columns: CsvColumn[];
  /** Names of the numeric columns, in file order (the column picker). */
  numeric: string[];
  /** The time axis: the first timestamp column, else the first label column (as core/csv picks it). */
  time?: { index: number; name: string; kind: 'timestamp' | 'label'; yearOnly: boolean };
  /** The structure was judged on the first `sampled` characters only (a long document). */
  sampled: boolean;
  warnings: string[];
}

/** The document's structure (see the module comment). Throws core/csv's ChronosLensError for unreadable text. */
export async function csvLayout(text: string, file: string, sampleChars = LAYOUT_SAMPLE_CHARS): Promise<CsvLayout> {
  const csv = await import('./read');
  let sample = text;
  let sampled = false;
  if (text.length > sampleChars) {
    // Cut after the last line break inside the sample (a quoted field may still span it: then retry
    // with a sample twice as long, up to the whole text).
    let cut = Math.max(text.lastIndexOf('\n', sampleChars), text.lastIndexOf('\r', sampleChars));
    if (cut <= 0) cut = sampleChars;
    sample = text.slice(0, cut + 1);
    sampled = true;
  }
  let table;
  try {
    table = csv.parseCsvTable(sample, { fileLabel: file, tailRows: 1 });
  } catch (e) {
    if (!sampled) throw e;
    return csvLayout(text, file, sampleChars * 2 >= text.length ? text.length : sampleChars * 2);
  }
  const numeric = table.columns.filter((c) => c.kind === 'numeric').map((c) => c.name);
  const t = table.columns.find((c) => c.kind === 'timestamp') ?? table.columns.find((c) => c.kind === 'label');
  return {
    file,
    delimiter: table.delimiter,
    hasHeader: table.hasHeader,
    columns: table.columns,
    numeric,
    time: t ? { index: t.index, name: t.name, kind: t.kind === 'timestamp' ? 'timestamp' : 'label', yearOnly: !!t.yearOnly } : undefined,
    sampled,
    warnings: table.warnings,
  };
}

export interface ColumnScan {
  column: string;
  columnIndex: number;
  /** One value per data row; NaN where missing or not a number. */
  values: Float64Array;
  /** 0-based document line where each data row starts. */
  lines: Uint32Array;
  /** Offset in the text where each data row's record starts. */
  offsets: Uint32Array;
  /** Data rows. */
  totalRows: number;
  /** Non-NaN values. */
  observed: number;
  /** Cells that hold text that is neither a number nor a missing marker (read as missing, like those). */
  invalid: number;
  /** The first such cell, with its 0-based line. */
  firstInvalid?: { text: string; line: number };
}

export interface ScanOptions {
  signal?: AbortSignal;
  /** Work this long between yields to the event loop (default 12 ms). */
  sliceMs?: number;
  /** How to yield (default setImmediate). */
  yieldNow?: () => Promise<void>;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;
const SPACE = 32;

const defaultYield = () => new Promise<void>((r) => setImmediate(r));

/** Finds the column by name (exact, then case-insensitive) or throws a message listing the numeric ones. */
export function layoutColumn(layout: CsvLayout, column: string | undefined): CsvColumn {
  const cols = layout.columns;
  if (column === undefined) {
    const first = defaultValueColumn(cols);
    if (!first) throw new ScanError(`${layout.file} has no numeric column (columns: ${cols.map((c) => `"${c.name}" (${c.kind})`).join(', ')}).`);
    return first;
  }
  const c = cols.find((x) => x.name === column) ?? cols.find((x) => x.name.toLowerCase() === column.trim().toLowerCase());
  if (!c) throw new ScanError(`${layout.file} has no column "${column}". Numeric columns: ${layout.numeric.map((n) => `"${n}"`).join(', ') || 'none'}.`);
  if (c.kind !== 'numeric') throw new ScanError(`Column "${c.name}" of ${layout.file} is not numeric (${c.kind}). Numeric columns: ${layout.numeric.map((n) => `"${n}"`).join(', ') || 'none'}.`);
  return c;
}

/** A CSV the view cannot show (no numeric column, unknown column): a ChronosLensError BAD_CSV. */
export class ScanError extends ChronosLensError {
  constructor(message: string) {
    super('BAD_CSV', message);
  }
}

/**
 * Scans the whole text for one numeric column (see the module comment). Rejects with CancelledError
 * when the signal aborts (checked between slices).
 */
export async function scanColumn(text: string, layout: CsvLayout, column: string | undefined, opts: ScanOptions = {}): Promise<ColumnScan> {
  const col = layoutColumn(layout, column);
  const target = col.index;
  const delim = layout.delimiter.charCodeAt(0);
  const decimalComma = layout.delimiter === ';';
  const dotsGroup = col.decimalComma;
  const sliceMs = opts.sliceMs ?? 12;
  const yieldNow = opts.yieldNow ?? defaultYield;
  const n = text.length;
  // Capacity: grown by doubling (a row is at least 2 characters, so n / 2 bounds it).
  let cap = Math.max(1024, Math.min(Math.ceil(n / 8), 1 << 20));
  let values = new Float64Array(cap);
  let lines = new Uint32Array(cap);
  let offsets = new Uint32Array(cap);
  let rows = 0;
  let observed = 0;
  let invalid = 0;
  let firstInvalid: { text: string; line: number } | undefined;
  let headerPending = layout.hasHeader;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  let sliceStart = performance.now();
  let sinceCheck = 0;
  const st: FieldState = { quoted: false, lines: 0, nonBlank: false };
  while (i < n) {
    const recStart = i;
    const recLine = line;
    let blank = true;
    let field = 0;
    let cellStart = -1;
    let cellEnd = -1;
    let cellQuoted = false;
    // one record
    for (;;) {
      const fieldStart = i;
      const j = scanField(text, i, delim, st);
      if (st.nonBlank) blank = false;
      line += st.lines;
      const quoted = st.quoted;
      const c = j < n ? text.charCodeAt(j) : -1;
      if (field === target) {
        cellStart = fieldStart;
        cellEnd = j;
        cellQuoted = quoted;
      }
      field++;
      i = j;
      if (c === delim) {
        i++;
        continue;
      }
      // end of record
      if (c === CR) {
        i++;
        if (text.charCodeAt(i) === LF) i++;
        line++;
      } else if (c === LF) {
        i++;
        line++;
      }
      break;
    }
    if (!blank) {
      if (headerPending) headerPending = false;
      else {
        if (rows === cap) {
          cap *= 2;
          values = grow(values, cap);
          lines = grow(lines, cap);
          offsets = grow(offsets, cap);
        }
        let v = NaN;
        if (cellStart >= 0) {
          const raw = text.slice(cellStart, cellEnd);
          const cell = cellQuoted ? unquote(raw) : raw.trim();
          v = parseNumberCell(cell, decimalComma, dotsGroup);
          if (v !== v && !isMissingMarker(cell)) {
            invalid++;
            firstInvalid ??= { text: cell.length > 40 ? `${cell.slice(0, 40)}…` : cell, line: recLine };
          }
        }
        values[rows] = v;
        if (v === v) observed++;
        lines[rows] = recLine;
        offsets[rows] = recStart;
        rows++;
      }
    }
    if (++sinceCheck >= 512) {
      sinceCheck = 0;
      if (performance.now() - sliceStart > sliceMs) {
        await yieldNow();
        if (opts.signal?.aborted) throw abortReason(opts.signal);
        sliceStart = performance.now();
      }
    }
  }
  if (opts.signal?.aborted) throw abortReason(opts.signal);
  return {
    column: col.name,
    columnIndex: col.index,
    values: values.slice(0, rows),
    lines: lines.slice(0, rows),
    offsets: offsets.slice(0, rows),
    totalRows: rows,
    observed,
    invalid,
    ...(firstInvalid ? { firstInvalid } : {}),
  };
}

function grow<T extends Float64Array | Uint32Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error && r.name === 'CancelledError' ? r : new CancelledError();
}

/** What scanField saw of a field. */
interface FieldState {
  /** It began (after spaces) with a quote. */
  quoted: boolean;
  /** Line breaks inside its quotes. */
  lines: number;
  /** It holds something other than white space (an escaped quote counts). */
  nonBlank: boolean;
}

/**
 * The end of the field starting at `i`: the index of the delimiter, line break or end of text after it.
 * A field that begins (after spaces) with a quote runs to the closing quote (`""` is an escaped quote;
 * delimiters and line breaks inside are text), then, relaxed, to the delimiter or line end (kept as
 * text). The one field grammar of the scan and of recordCells; `st` is overwritten.
 */
function scanField(text: string, i: number, delim: number, st: FieldState): number {
  const n = text.length;
  let j = i;
  let lines = 0;
  let nonBlank = false;
  while (j < n && text.charCodeAt(j) === SPACE) j++;
  const quoted = j < n && text.charCodeAt(j) === QUOTE;
  if (quoted) {
    j++;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        if (text.charCodeAt(j + 1) === QUOTE) {
          nonBlank = true;
          j += 2;
          continue;
        }
        j++;
        break;
      }
      if (c === CR) {
        lines++;
        if (text.charCodeAt(j + 1) === LF) j++;
      } else if (c === LF) lines++;
      if (c > SPACE) nonBlank = true;
      j++;
    }
  }
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === delim || c === CR || c === LF) break;
    if (c > SPACE) nonBlank = true;
    j++;
  }
  st.quoted = quoted;
  st.lines = lines;
  st.nonBlank = nonBlank;
  return j;
}

/** A quoted cell's text: outer quotes removed, doubled quotes undone, trimmed (as core/csv reads it). */
function unquote(raw: string): string {
  const t = raw.trim();
  const close = t.lastIndexOf('"');
  const inner = close > 0 ? t.slice(1, close) + t.slice(close + 1) : t.slice(1);
  return inner.replace(/""/g, '"').trim();
}

/** The cells of the record starting at `offset` (trimmed, unquoted), up to column `upTo` (all when absent). */
export function recordCells(text: string, delimiter: CsvDelimiter, offset: number, upTo = Infinity): string[] {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  const out: string[] = [];
  let i = offset;
  const st: FieldState = { quoted: false, lines: 0, nonBlank: false };
  for (;;) {
    const start = i;
    const j = scanField(text, i, delim, st);
    const quoted = st.quoted;
    const raw = text.slice(start, j);
    out.push(quoted ? unquote(raw) : raw.trim());
    if (out.length > upTo) return out;
    if (j < n && text.charCodeAt(j) === delim) {
      i = j + 1;
      continue;
    }
    return out;
  }
}

/** The text of one cell of a data row (`''` when the row is short). */
export function cellText(text: string, layout: Pick<CsvLayout, 'delimiter'>, scan: Pick<ColumnScan, 'offsets'>, row: number, column: number): string {
  return recordCells(text, layout.delimiter, scan.offsets[row], column)[column] ?? '';
}

/**
 * The time axis at the given data rows: ISO 8601 for a timestamp column (UTC, as core/csv reads
 * zone-less timestamps; `''` where a cell does not parse), the cells' own text for a label column;
 * undefined when the CSV has no time axis.
 */
export async function timeLabels(text: string, layout: CsvLayout, scan: Pick<ColumnScan, 'offsets'>, rows: ArrayLike<number>): Promise<string[] | undefined> {
  const t = layout.time;
  if (!t) return undefined;
  const out = new Array<string>(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const cell = cellText(text, layout, scan, rows[k], t.index);
    if (t.kind === 'label') out[k] = cell;
    else {
      const p = cell ? parseTimestamp(cell, t.yearOnly) : undefined;
      out[k] = p && Number.isFinite(p.epochMs) ? isoOf(p.epochMs, p.format) : '';
    }
  }
  return out;
}

/** Raw time-axis cells of the given rows (for core/csv's nextTimestamps). */
export function timeCells(text: string, layout: CsvLayout, scan: Pick<ColumnScan, 'offsets'>, rows: ArrayLike<number>): string[] | undefined {
  const t = layout.time;
  if (!t) return undefined;
  return Array.from({ length: rows.length }, (_, k) => cellText(text, layout, scan, rows[k], t.index));
}

/** ISO 8601 at the precision the cell was written with (year, month, day, or an instant in UTC). */
function isoOf(ms: number, f: { yearOnly: boolean; hasDay: boolean; timeParts: number; fracDigits: number }): string {
  const iso = new Date(ms).toISOString();
  if (f.yearOnly) return iso.slice(0, 4);
  if (!f.hasDay) return iso.slice(0, 7);
  if (f.timeParts === 0) return iso.slice(0, 10);
  return f.fracDigits ? iso : iso.replace('.000Z', 'Z');
}

/**
 * The 0-based column of the cell under character `ch` of one line of text (a delimiter belongs to
 * the cell before it), and the cell's trimmed text and character range; quotes are honoured within
 * the line.
 */
export function cellAtChar(lineText: string, delimiter: CsvDelimiter, ch: number): { column: number; text: string; start: number; end: number } | undefined {
  if (ch < 0 || ch > lineText.length) return undefined;
  const d = delimiter.charCodeAt(0);
  let column = 0;
  let start = 0;
  let inQuotes = false;
  for (let i = 0; i <= lineText.length; i++) {
    const c = i < lineText.length ? lineText.charCodeAt(i) : -1;
    if (c === QUOTE) inQuotes = !inQuotes;
    if ((c === d && !inQuotes) || c === -1) {
      if (ch >= start && ch <= i) {
        const raw = lineText.slice(start, i);
        const lead = raw.length - raw.trimStart().length;
        const t = raw.trim();
        const textOut = t.startsWith('"') ? unquote(t) : t;
        return { column, text: textOut, start: start + lead, end: start + lead + t.length };
      }
      column++;
      start = i + 1;
    }
  }
  return undefined;
}
