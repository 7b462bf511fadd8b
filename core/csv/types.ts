/**
 * Result and option types of the CSV reader. Line numbers in results are 0-based (as in VS Code's
 * `TextDocument.lineAt`); messages meant for people say "line N" 1-based, as editors display them.
 */
import type { ProgressCallback } from '../progress';

/** Delimiters the reader can detect. */
export type CsvDelimiter = ',' | ';' | '\t' | '|';

/**
 * What a column holds, judged over all data rows: `numeric` (numbers and missing markers), `timestamp`
 * (ISO dates or date-times, or 4-digit years in a column named like `year`), `label` (anything else,
 * including a column with no values at all).
 */
export type CsvColumnKind = 'numeric' | 'timestamp' | 'label';

export interface CsvColumn {
  /** 0-based position in the row. */
  index: number;
  /** Header text, made unique (`x`, `x.1`); `col0`, `col1`, ... when the file has no header. */
  name: string;
  kind: CsvColumnKind;
  /** Cells that are not missing markers, over all data rows. */
  observed: number;
  /** Cells that are missing markers (or absent from short rows), over all data rows. */
  missing: number;
  /**
   * Cells that do not fit the column's kind (e.g. `abc` in a numeric column); they are read as
   * missing. At most 5% of the observed cells, else the column would be a label column.
   */
  invalid: number;
  /**
   * The first cell that does not fit the kind, with its 0-based line, for messages. For label columns:
   * the first cell that is not a number (why the column is not numeric).
   */
  firstInvalid?: { text: string; line: number };
  /** Numeric columns of `;`-delimited files that write decimals with a comma (`1,5`). */
  decimalComma: boolean;
  /** The first observed cell, as written (for messages and column pickers). */
  example?: string;
  /** A timestamp column of bare 4-digit years (a column named like `year`, `date`, `period`). */
  yearOnly?: boolean;
  /**
   * A numeric column that reads as an index, not as values: integers in one constant non-zero step
   * over every data row (0, 1, 2, … or an epoch count), no gaps. Not the default series (defaultValueColumn).
   */
  indexLike?: boolean;
}

/**
 * The rows the reader kept (the last `tailRows`, or all), as trimmed cell text, with what it learnt
 * about the whole file. Series are picked from it with `selectSeries`.
 */
export interface CsvTable {
  /** The file name used in messages (`fileLabel`, or the base name of the path). */
  file: string;
  delimiter: CsvDelimiter;
  hasHeader: boolean;
  columns: CsvColumn[];
  /** Data rows in the whole file: not the header, not blank lines, not rows whose cells are all empty. */
  totalRows: number;
  /** Index (0-based, among data rows) of the first kept row: `totalRows - rows.length`. */
  firstRow: number;
  /** Kept rows: trimmed cell text, one string per column (`''` where a short row has no cell). */
  rows: string[][];
  /** 0-based line in the file where each kept row starts (CR, LF and CRLF each end one line). */
  lines: Uint32Array;
  /** Things the reader tolerated or guessed, one sentence each. */
  warnings: string[];
}

/** The time axis of a series: the first timestamp column, else the first label column. */
export interface CsvTimeAxis {
  column: string;
  columnIndex: number;
  kind: 'timestamp' | 'label';
  /** One entry per kept row, as written in the file (trimmed, without CSV quotes; `''` when missing). */
  text: string[];
  /**
   * For timestamp columns: milliseconds since the epoch per kept row (NaN where missing or not a
   * timestamp). Timestamps without a zone are read as UTC.
   */
  epochMs?: Float64Array;
  /** True when the timestamps are bare years (`1990`) from a column named like `year`. */
  yearOnly?: boolean;
}

/** One numeric column of a CSV, over the kept rows. */
export interface CsvSeries {
  file: string;
  /** Name of the chosen column (see {@link CsvColumn.name}). */
  column: string;
  columnIndex: number;
  /** One value per kept row; NaN where the cell is missing or not a number. */
  values: Float64Array;
  /** Non-NaN entries of `values`. */
  observed: number;
  /** 0-based line in the file of each kept row (same length as `values`). */
  lines: Uint32Array;
  /** Index (0-based, among all data rows) of the first kept row. */
  firstRow: number;
  /** Data rows in the whole file. */
  totalRows: number;
  time?: CsvTimeAxis;
  columns: CsvColumn[];
  delimiter: CsvDelimiter;
  hasHeader: boolean;
  warnings: string[];
}

export interface CsvReadOptions {
  /**
   * The value column: a name (exact, else case-insensitive), or a 0-based index. A string of digits
   * that is not a column name is read as an index (so `--column 2` works). Default: the first
   * numeric column.
   */
  column?: string | number;
  /**
   * Keep only the last `tailRows` data rows (e.g. context length + holdout); the rest of the file is
   * streamed through and only counted. Default: keep every row.
   */
  tailRows?: number;
  /** Name of the file in messages; default the base name of the path (`<text>` for in-memory text). */
  fileLabel?: string;
  /** Skip delimiter detection. */
  delimiter?: CsvDelimiter;
  /** Skip header detection. */
  header?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}
