/**
 * Turns tokenized records into a {@link CsvTable}: keeps the last `tailRows` rows in a ring buffer,
 * classifies every cell of every row on the way (so that column kinds describe the whole file, while
 * memory stays bounded), decides whether the first record is a header, and checks ragged rows. Then
 * {@link selectSeries} picks one numeric column out of the table.
 */
import { ChronosLensError } from '../errors';
import { CellClass, classifyCell, invalidCellsMessage, parseNumberCell } from './cells';
import { parseTimestamp } from './timestamps';
import type { CsvColumn, CsvColumnKind, CsvDelimiter, CsvSeries, CsvTable, CsvTimeAxis } from './types';

/** Share of a column's observed cells that must read as numbers (or timestamps) for it to be numeric (timestamp). */
export const KIND_THRESHOLD = 0.95;
/** Rows with a different number of fields than the others are tolerated up to this share of data rows (at least one row). */
export const RAGGED_TOLERANCE = 0.01;
/** Column names under which a column of 4-digit integers is read as years (a time axis), not as values. */
const YEAR_NAMES = /^(year|yr|date|time|period)s?$/i;

interface Stats {
  observed: number;
  missing: number;
  num: number;
  ts: number;
  commaNums: number;
  yearInts: number;
  example?: string;
  firstNonNum?: { text: string; line: number };
  firstNonTs?: { text: string; line: number };
  /** Every value so far an integer, a constant non-zero step from the previous one (a row index, an epoch count). */
  steady: boolean;
  prev?: number;
  step?: number;
}

const newStats = (): Stats => ({ observed: 0, missing: 0, num: 0, ts: 0, commaNums: 0, yearInts: 0, steady: true });
const INTEGER = /^[-+]?\d+$/;

export interface TableBuilderOptions {
  file: string;
  delimiter: CsvDelimiter;
  /** Fields per row, as the sniffer saw them. */
  fields: number;
  tailRows?: number;
  header?: boolean;
}

export class TableBuilder {
  private readonly file: string;
  private readonly delimiter: CsvDelimiter;
  private readonly decimalComma: boolean;
  private readonly ncols: number;
  private readonly tail: number;
  private readonly headerOption?: boolean;
  private row0?: { cells: string[]; classes: CellClass[]; line: number };
  private readonly stats: Stats[];
  /** Data rows after the first record. */
  private count = 0;
  private readonly ring: string[][] = [];
  private readonly ringLines: number[] = [];
  private ragged = 0;
  private readonly raggedExamples: string[] = [];
  /** 0-based line on which the next record starts. */
  private nextLine = 0;

  constructor(o: TableBuilderOptions) {
    this.file = o.file;
    this.delimiter = o.delimiter;
    this.decimalComma = o.delimiter === ';';
    this.ncols = Math.max(1, o.fields);
    if (o.tailRows !== undefined && (!Number.isInteger(o.tailRows) || o.tailRows < 1)) {
      throw new ChronosLensError('BAD_INPUT', `tailRows must be a positive integer, got ${o.tailRows}`);
    }
    this.tail = o.tailRows ?? Infinity;
    this.headerOption = o.header;
    this.stats = Array.from({ length: this.ncols }, newStats);
  }

  /**
   * The next tokenized record, untrimmed, exactly as csv-parse produced it. Every record (blank lines
   * too) ends with one line break, and quoted fields may hold more: so the line on which each record
   * starts follows from the records themselves, CR, LF and CRLF counting one each (as in VS Code).
   */
  onRecord(record: string[]): void {
    const n = record.length;
    const line = this.nextLine;
    this.nextLine += 1 + lineBreaksIn(record);
    let blank = true;
    for (let j = 0; j < n; j++) {
      const c = record[j];
      // Quoted cells keep their whitespace in csv-parse; trim them too.
      if (c.length > 0) {
        const t = c.charCodeAt(0) <= 32 || c.charCodeAt(c.length - 1) <= 32 ? c.trim() : c;
        record[j] = t;
        if (t.length > 0) blank = false;
      }
    }
    // Blank lines, and rows whose cells are all empty (spreadsheet leftovers), are not data rows.
    if (blank) return;
    if (this.row0 === undefined) {
      const classes: CellClass[] = [];
      for (let j = 0; j < this.ncols; j++) classes.push(j < n ? classifyCell(record[j], this.decimalComma) : CellClass.Missing);
      this.row0 = { cells: record, classes, line };
      return;
    }
    this.count++;
    this.checkWidth(record, line);
    this.classify(record, line);
    if (this.tail === Infinity) {
      this.ring.push(record);
      this.ringLines.push(line);
    } else {
      const k = (this.count - 1) % this.tail;
      this.ring[k] = record;
      this.ringLines[k] = line;
    }
  }

  private checkWidth(record: string[], line: number): void {
    const n = record.length;
    if (n === this.ncols) return;
    if (n > this.ncols) {
      let extra = false;
      for (let j = this.ncols; j < n; j++) if (record[j] !== '') extra = true;
      if (!extra) return;
    }
    this.ragged++;
    if (this.raggedExamples.length < 3) this.raggedExamples.push(`line ${line + 1} has ${n}`);
  }

  private classify(record: string[], line: number): void {
    const n = record.length;
    for (let j = 0; j < this.ncols; j++) {
      const s = this.stats[j];
      if (j >= n) {
        s.missing++;
        continue;
      }
      const text = record[j];
      const cls = classifyCell(text, this.decimalComma);
      this.count0(s, cls, text, line);
    }
  }

  private count0(s: Stats, cls: CellClass, text: string, line: number): void {
    if (cls === CellClass.Missing) {
      s.missing++;
      return;
    }
    s.observed++;
    if (s.example === undefined) s.example = text;
    if (cls === CellClass.Number) {
      s.num++;
      if (this.decimalComma && text.includes(',')) s.commaNums++;
      if (text.length === 4 && isYearInt(text)) s.yearInts++;
      if (s.steady) steadyNext(s, text);
    } else {
      s.steady = false;
      if (s.firstNonNum === undefined) s.firstNonNum = { text, line };
    }
    if (cls === CellClass.Timestamp) s.ts++;
    else if (s.firstNonTs === undefined) s.firstNonTs = { text, line };
  }

  /** Decides the header, names and kinds, checks ragged rows, and returns the table. */
  finish(): CsvTable {
    const f = this.file;
    const row0 = this.row0;
    if (row0 === undefined) throw new ChronosLensError('BAD_CSV', `${f} is empty: it has no rows.`);
    const warnings: string[] = [];

    let hasHeader: boolean;
    if (this.headerOption !== undefined) hasHeader = this.headerOption;
    else if (this.count === 0) hasHeader = row0.classes.every((c) => c === CellClass.Other || c === CellClass.Missing);
    else {
      const kinds = this.stats.map((s) => kindOf(s));
      hasHeader =
        row0.classes.some((c, j) => c === CellClass.Other && kinds[j] !== 'label') ||
        (kinds.every((k) => k === 'label') && row0.classes.every((c) => c === CellClass.Other || c === CellClass.Missing));
    }

    if (!hasHeader) {
      this.checkWidth(row0.cells, row0.line);
      for (let j = 0; j < this.ncols; j++) {
        if (j >= row0.cells.length) this.stats[j].missing++;
        else this.count0(this.stats[j], row0.classes[j], row0.cells[j], row0.line);
      }
    }
    const totalRows = this.count + (hasHeader ? 0 : 1);

    // Names.
    const names: string[] = [];
    const seen = new Map<string, number>();
    for (let j = 0; j < this.ncols; j++) {
      let name = hasHeader ? (row0.cells[j] ?? '') : '';
      if (name === '') name = `col${j}`;
      const dup = seen.get(name);
      if (dup !== undefined) {
        let k = dup;
        while (seen.has(`${name}.${k}`)) k++;
        seen.set(name, k + 1);
        warnings.push(`The header of ${f} repeats the column name "${name}"; the repeat is called "${name}.${k}".`);
        name = `${name}.${k}`;
      }
      seen.set(name, 1);
      names.push(name);
    }
    if (hasHeader && row0.cells.length > this.ncols) {
      const extra = row0.cells.slice(this.ncols).filter((c) => c !== '');
      if (extra.length > 0) {
        warnings.push(`The header of ${f} has ${row0.cells.length} names but its rows have ${this.ncols} fields; ignored ${extra.map((e) => `"${e}"`).join(', ')}.`);
      }
    }
    if (hasHeader && totalRows === 0) {
      throw new ChronosLensError('BAD_CSV', `${f} has a header (${names.map((n) => `"${n}"`).join(', ')}) but no data rows.`);
    }

    // Ragged rows.
    const tolerated = Math.max(1, Math.floor(RAGGED_TOLERANCE * totalRows));
    if (this.ragged > 0) {
      const what = `${this.ragged} of ${totalRows} data rows of ${f} do not have ${this.ncols} fields like the others (${this.raggedExamples.join(', ')}${this.ragged > this.raggedExamples.length ? ', ...' : ''})`;
      if (this.ragged > tolerated) {
        throw new ChronosLensError(
          'BAD_CSV',
          `${what}; at most ${tolerated} such rows are tolerated. Check the delimiter (read as ${describeDelimiter(this.delimiter)}) and quoting of those rows.`,
        );
      }
      warnings.push(`${what}; missing fields were read as missing values and extra fields ignored.`);
    }

    // Kinds.
    const columns: CsvColumn[] = this.stats.map((s, j) => {
      let kind = kindOf(s);
      let yearOnly = false;
      const invalidOf = (k: CsvColumnKind): number => (k === 'numeric' ? s.observed - s.num : k === 'timestamp' ? s.observed - s.ts : 0);
      if (kind === 'numeric' && hasHeader && YEAR_NAMES.test(names[j]) && s.num === s.observed && s.yearInts === s.num) {
        kind = 'timestamp';
        yearOnly = true;
      }
      const col: CsvColumn = {
        index: j,
        name: names[j],
        kind,
        observed: s.observed,
        missing: s.missing,
        invalid: yearOnly ? 0 : invalidOf(kind),
        decimalComma: kind === 'numeric' && s.commaNums > 0,
      };
      const firstInvalid = yearOnly ? undefined : kind === 'timestamp' ? s.firstNonTs : s.firstNonNum;
      if (firstInvalid) col.firstInvalid = firstInvalid;
      if (s.example !== undefined) col.example = s.example;
      if (yearOnly) col.yearOnly = true;
      return col;
    });
    // A year column is a time axis only when some other column holds the values.
    for (const c of columns) {
      if (c.yearOnly && !columns.some((o) => o !== c && o.kind === 'numeric')) {
        c.kind = 'numeric';
        delete c.yearOnly;
      }
    }
    for (const [j, c] of columns.entries()) {
      const s = this.stats[j];
      if (c.kind === 'numeric' && s.steady && s.missing === 0 && s.num >= 3 && s.num === s.observed && hasHeader) c.indexLike = true;
    }

    // Kept rows in file order, padded to the column count.
    const rows: string[][] = [];
    const lines: number[] = [];
    const kept = Math.min(this.count, this.tail);
    const start = this.tail === Infinity || this.count <= this.tail ? 0 : this.count % this.tail;
    if (!hasHeader && totalRows <= this.tail) {
      rows.push(row0.cells);
      lines.push(row0.line);
    }
    for (let i = 0; i < kept; i++) {
      const k = (start + i) % this.ring.length;
      rows.push(this.ring[k]);
      lines.push(this.ringLines[k]);
    }
    for (const r of rows) {
      if (r.length > this.ncols) r.length = this.ncols;
      while (r.length < this.ncols) r.push('');
    }

    return {
      file: f,
      delimiter: this.delimiter,
      hasHeader,
      columns,
      totalRows,
      firstRow: totalRows - rows.length,
      rows,
      lines: Uint32Array.from(lines),
      warnings,
    };
  }
}

/** Line breaks inside the fields of a record (only quoted fields can hold them). */
function lineBreaksIn(record: string[]): number {
  let n = 0;
  for (let j = 0; j < record.length; j++) {
    const f = record[j];
    if (f.indexOf('\n') === -1 && f.indexOf('\r') === -1) continue;
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c === 10) n++;
      else if (c === 13) {
        n++;
        if (f.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return n;
}

function kindOf(s: Stats): CsvColumnKind {
  if (s.observed === 0) return 'label';
  if (s.num >= KIND_THRESHOLD * s.observed) return 'numeric';
  if (s.ts >= KIND_THRESHOLD * s.observed) return 'timestamp';
  return 'label';
}

function isYearInt(t: string): boolean {
  const c0 = t.charCodeAt(0);
  if (c0 !== 49 && c0 !== 50) return false; // 1xxx or 2xxx
  for (let i = 1; i < 4; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function describeDelimiter(d: CsvDelimiter): string {
  return d === '\t' ? 'tab' : d === '|' ? '"|"' : `"${d}"`;
}

function describeColumns(columns: CsvColumn[]): string {
  return columns.map((c) => `"${c.name}" (${c.kind})`).join(', ');
}

/**
 * Resolves a column option against a table: a name (exact, then case-insensitive), a 0-based index, or
 * a digit string that is not a name (read as an index). Throws NOT_FOUND listing the columns.
 */
export function findColumn(table: CsvTable, column: string | number): CsvColumn {
  const cols = table.columns;
  if (typeof column === 'number') {
    const c = Number.isInteger(column) ? cols[column] : undefined;
    if (c === undefined) {
      throw new ChronosLensError(
        'NOT_FOUND',
        `${table.file} has no column number ${column}: it has ${cols.length} column${cols.length === 1 ? '' : 's'} (0-${cols.length - 1}): ${describeColumns(cols)}.`,
      );
    }
    return c;
  }
  const exact = cols.find((c) => c.name === column);
  if (exact) return exact;
  const lower = column.trim().toLowerCase();
  const loose = cols.find((c) => c.name.toLowerCase() === lower);
  if (loose) return loose;
  if (/^\d+$/.test(column.trim())) return findColumn(table, Number(column.trim()));
  throw new ChronosLensError('NOT_FOUND', `${table.file} has no column "${column}". Its columns are: ${describeColumns(cols)}.`);
}

/**
 * Picks one numeric column of a table as a series, with the time axis (the first timestamp column,
 * else the first label column) over the same kept rows.
 *
 * @param column name or 0-based index (see {@link findColumn}); default the first numeric column.
 * @throws ChronosLensError BAD_CSV when there is no numeric column, when the chosen column is not
 *   numeric, or when fewer than 3 of the kept values are observed; NOT_FOUND for an unknown column.
 */
/**
 * The column a series is read from when none is named: the first numeric column that is not an index
 * (`indexLike`: integers in constant steps, such as a row number or an epoch count), else the first
 * numeric one. The one rule for the series view, the mosaic, the ablation and the CLI.
 */
export function defaultValueColumn<C extends Pick<CsvColumn, 'kind' | 'indexLike'>>(columns: readonly C[]): C | undefined {
  return columns.find((c) => c.kind === 'numeric' && !c.indexLike) ?? columns.find((c) => c.kind === 'numeric');
}

/** The numeric columns worth offering as values (index-like ones left out, unless there are only those). */
export function valueColumns<C extends Pick<CsvColumn, 'kind' | 'indexLike'>>(columns: readonly C[]): C[] {
  const numeric = columns.filter((c) => c.kind === 'numeric');
  const values = numeric.filter((c) => !c.indexLike);
  return values.length ? values : numeric;
}

export function selectSeries(table: CsvTable, column?: string | number): CsvSeries {
  const f = table.file;
  let col: CsvColumn;
  if (column === undefined) {
    const first = defaultValueColumn(table.columns);
    if (!first) {
      throw new ChronosLensError(
        'BAD_CSV',
        `${f} has no numeric column. Its columns are: ${table.columns.map((c) => `"${c.name}" (${c.kind}${c.example !== undefined ? `, e.g. "${c.example}"` : ', empty'})`).join(', ')}` +
          ` (delimiter read as ${describeDelimiter(table.delimiter)}).`,
      );
    }
    col = first;
  } else {
    col = findColumn(table, column);
    if (col.kind !== 'numeric') {
      const numeric = table.columns.filter((c) => c.kind === 'numeric').map((c) => `"${c.name}"`);
      const why =
        col.observed === 0
          ? 'has no values'
          : col.kind === 'timestamp'
            ? `holds timestamps (e.g. "${col.example}"), not values`
            : `holds text, not numbers (e.g. "${col.firstInvalid?.text ?? col.example}"${col.firstInvalid ? ` on line ${col.firstInvalid.line + 1}` : ''})`;
      throw new ChronosLensError(
        'BAD_CSV',
        `Column "${col.name}" of ${f} ${why}. ${numeric.length > 0 ? `Numeric columns: ${numeric.join(', ')}.` : 'The file has no numeric column.'}`,
      );
    }
  }

  const j = col.index;
  const n = table.rows.length;
  const values = new Float64Array(n);
  const decimalComma = table.delimiter === ';';
  let observed = 0;
  for (let i = 0; i < n; i++) {
    const v = parseNumberCell(table.rows[i][j], decimalComma, col.decimalComma);
    values[i] = v;
    if (!Number.isNaN(v)) observed++;
  }
  const scope = table.firstRow > 0 ? `in the last ${n} of ${table.totalRows} rows` : `in ${n} rows`;
  if (observed < 3) {
    throw new ChronosLensError(
      'BAD_CSV',
      `Column "${col.name}" of ${f} has ${observed === 0 ? 'no' : `only ${observed}`} observed value${observed === 1 ? '' : 's'} ${scope}; at least 3 are needed.`,
    );
  }

  const warnings = [...table.warnings];
  if (col.invalid > 0 && col.firstInvalid) warnings.push(invalidCellsMessage(col.name, f, col.invalid, col.firstInvalid));
  if (observed < n) warnings.push(`${n - observed} of ${n} values of column "${col.name}" ${scope} are missing (NaN).`);

  const series: CsvSeries = {
    file: f,
    column: col.name,
    columnIndex: j,
    values,
    observed,
    lines: table.lines,
    firstRow: table.firstRow,
    totalRows: table.totalRows,
    columns: table.columns,
    delimiter: table.delimiter,
    hasHeader: table.hasHeader,
    warnings,
  };
  const time = timeAxis(table, j);
  if (time) series.time = time;
  return series;
}

function timeAxis(table: CsvTable, valueColumn: number): CsvTimeAxis | undefined {
  const col =
    table.columns.find((c) => c.kind === 'timestamp' && c.index !== valueColumn) ??
    table.columns.find((c) => c.kind === 'label' && c.observed > 0 && c.index !== valueColumn);
  if (!col) return undefined;
  const text = table.rows.map((r) => r[col.index]);
  const axis: CsvTimeAxis = { column: col.name, columnIndex: col.index, kind: col.kind === 'timestamp' ? 'timestamp' : 'label', text };
  if (col.kind === 'timestamp') {
    const yearOnly = col.yearOnly === true;
    const epochMs = new Float64Array(text.length);
    for (let i = 0; i < text.length; i++) epochMs[i] = parseTimestamp(text[i], yearOnly)?.epochMs ?? NaN;
    axis.epochMs = epochMs;
    if (yearOnly) axis.yearOnly = true;
  }
  return axis;
}

/** Follows a numeric cell in a column's `steady` check (see Stats). */
function steadyNext(s: Stats, text: string): void {
  if (!INTEGER.test(text)) {
    s.steady = false;
    return;
  }
  const v = Number(text);
  if (s.prev !== undefined) {
    const step = v - s.prev;
    if (step === 0 || (s.step !== undefined && step !== s.step)) s.steady = false;
    s.step = step;
  }
  s.prev = v;
}
