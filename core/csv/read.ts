/**
 * Reading a CSV from a file (streamed, never written to) or from text in memory (an editor's possibly
 * unsaved buffer). Tokenizing is csv-parse's; this module feeds it, sniffs the delimiter first, checks
 * UTF-8, tracks line numbers, and hands each record to a {@link TableBuilder}.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Parser, type CsvError, type Options as CsvParseOptions } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { ChronosLensError, CancelledError } from '../errors';
import { throwIfAborted, type ProgressCallback } from '../progress';
import { LineCounter, Utf8Checker, type Utf8Problem } from './bytes';
import { RECORD_DELIMITERS, sniffDelimiter } from './sniff';
import { selectSeries, TableBuilder } from './table';
import type { CsvReadOptions, CsvSeries, CsvTable } from './types';

/** Bytes examined by the delimiter sniffer. */
const SNIFF_BYTES = 64 * 1024;
/** Read size when streaming a file. */
const CHUNK_BYTES = 1 << 20;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Reads a CSV file into a table, streaming it: only the last `options.tailRows` rows are kept, every
 * row is counted and classified. The file is opened read-only and never written to.
 *
 * @throws ChronosLensError NOT_FOUND (no such file), IO (unreadable), BAD_CSV (empty, not UTF-8,
 *   malformed quoting, too many ragged rows); CancelledError when `options.signal` aborts.
 */
export async function readCsvTable(filePath: string, options: CsvReadOptions = {}): Promise<CsvTable> {
  const file = options.fileLabel ?? path.basename(filePath);
  throwIfAborted(options.signal);
  let size: number;
  try {
    const st = await fsp.stat(filePath);
    if (!st.isFile()) throw new ChronosLensError('IO', `${filePath} is not a file.`);
    size = st.size;
  } catch (e) {
    throw fsError(e, filePath);
  }

  const feeder = new Feeder(file, options);
  const utf8 = new Utf8Checker();
  const progress = throttle(options.onProgress, file);
  const stream = createReadStream(filePath, { flags: 'r', highWaterMark: CHUNK_BYTES });
  let offset = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      throwIfAborted(options.signal);
      if (offset === 0) checkEncodingStart(file, chunk);
      const problem = utf8.push(chunk);
      if (problem) throw await utf8Error(file, filePath, problem);
      await feeder.push(chunk);
      offset += chunk.length;
      progress(size > 0 ? offset / size : 1);
    }
    const problem = utf8.end();
    if (problem) throw await utf8Error(file, filePath, problem);
    throwIfAborted(options.signal);
    await feeder.end();
  } catch (e) {
    feeder.abort();
    if (e instanceof ChronosLensError) throw e;
    throw fsError(e, filePath);
  } finally {
    stream.destroy();
  }
  progress(1, true);
  return feeder.finish();
}

/**
 * Parses CSV text held in memory (e.g. `TextDocument.getText()`), synchronously. Line numbers in the
 * result are the document's lines. Takes the same options as {@link readCsvTable} (`signal` is checked
 * once; `onProgress` is not called).
 */
export function parseCsvTable(text: string, options: CsvReadOptions = {}): CsvTable {
  const file = options.fileLabel ?? '<text>';
  throwIfAborted(options.signal);
  const buf = Buffer.from(text, 'utf8');
  const sample = decodeSample(buf.subarray(0, SNIFF_BYTES));
  const sniff = sniffDelimiter(sample, buf.length <= SNIFF_BYTES, options.delimiter);
  const builder = new TableBuilder({ file, delimiter: sniff.delimiter, fields: sniff.fields, tailRows: options.tailRows, header: options.header });
  try {
    parseSync(buf, {
      ...csvParseOptions(sniff.delimiter),
      // Consume each record as it is made, so that only the kept tail stays in memory.
      on_record: (record: string[]) => {
        builder.onRecord(record);
        return null;
      },
    });
  } catch (e) {
    throw parseError(file, e);
  }
  return builder.finish();
}

/**
 * Reads one numeric series from a CSV file (see {@link readCsvTable} and {@link selectSeries}).
 *
 * @example
 * const s = await readCsvFile('AirPassengers.csv', { tailRows: 512 + 64, column: '#Passengers' });
 * s.values; // Float64Array, NaN where missing
 * s.time?.text; // ['1949-01', ...]
 */
export async function readCsvFile(filePath: string, options: CsvReadOptions = {}): Promise<CsvSeries> {
  return selectSeries(await readCsvTable(filePath, options), options.column);
}

/** Parses one numeric series from CSV text in memory (see {@link parseCsvTable} and {@link selectSeries}). */
export function parseCsvText(text: string, options: CsvReadOptions = {}): CsvSeries {
  return selectSeries(parseCsvTable(text, options), options.column);
}

function csvParseOptions(delimiter: string): CsvParseOptions {
  return {
    delimiter,
    record_delimiter: RECORD_DELIMITERS,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    trim: true,
    skip_empty_lines: false,
  };
}

/**
 * csv-parse's stream parser, with each record handed to a callback as the parser makes it instead of
 * being queued on the readable side: a Transform's output goes through `push`, so this is where records
 * appear. (Its `on_record` option would do the same, but builds two info objects per record, which
 * costs more than the tokenizing.) Nothing is queued, so writes are processed at once.
 */
class RecordParser extends Parser {
  constructor(
    options: CsvParseOptions,
    private readonly onRecord: (record: string[]) => void,
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    this.onRecord(chunk as string[]);
    return true;
  }
}

/**
 * Buffers the start of a stream for the sniffer, then feeds csv-parse chunk by chunk; records go
 * straight to the table builder, so the parser never holds more than one record.
 */
class Feeder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private parser?: RecordParser;
  private builder?: TableBuilder;

  constructor(
    private readonly file: string,
    private readonly options: CsvReadOptions,
  ) {}

  async push(chunk: Buffer): Promise<void> {
    if (this.parser) return this.write(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= SNIFF_BYTES) await this.start(false);
  }

  async end(): Promise<void> {
    if (!this.parser) await this.start(true);
    const parser = this.parser;
    if (!parser) return;
    await new Promise<void>((resolve, reject) => {
      parser.once('error', reject);
      parser.end(() => resolve());
    }).catch((e: unknown) => {
      throw parseError(this.file, e);
    });
  }

  finish(): CsvTable {
    if (!this.builder) throw new ChronosLensError('BAD_CSV', `${this.file} is empty: it has no rows.`);
    return this.builder.finish();
  }

  abort(): void {
    this.parser?.destroy();
  }

  private async start(complete: boolean): Promise<void> {
    const head = Buffer.concat(this.pending);
    const sniff = sniffDelimiter(decodeSample(head.subarray(0, SNIFF_BYTES)), complete, this.options.delimiter);
    this.builder = new TableBuilder({
      file: this.file,
      delimiter: sniff.delimiter,
      fields: sniff.fields,
      tailRows: this.options.tailRows,
      header: this.options.header,
    });
    const builder = this.builder;
    this.parser = new RecordParser(csvParseOptions(sniff.delimiter), (record) => builder.onRecord(record));
    // Errors also arrive through write/end callbacks; keep the stream from throwing them unhandled.
    this.parser.on('error', () => undefined);
    this.pending = [];
    this.pendingBytes = 0;
    if (head.length > 0) await this.write(head);
  }

  private write(chunk: Buffer): Promise<void> {
    const parser = this.parser;
    if (!parser) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      parser.write(chunk, (e) => (e ? reject(parseError(this.file, e)) : resolve()));
    });
  }
}

function decodeSample(b: Buffer): string {
  const body = b.subarray(0, 3).equals(BOM) ? b.subarray(3) : b;
  return body.toString('utf8');
}

function checkEncodingStart(file: string, chunk: Buffer): void {
  if (chunk.length >= 2 && ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff))) {
    throw new ChronosLensError('BAD_CSV', `${file} is UTF-16 encoded (it starts with a UTF-16 byte order mark); save it as UTF-8.`);
  }
  const nul = chunk.subarray(0, SNIFF_BYTES).indexOf(0);
  if (nul !== -1) {
    throw new ChronosLensError('BAD_CSV', `${file} is not a text file: it has a NUL byte at offset ${nul}. Is it a spreadsheet? Export it as CSV (UTF-8).`);
  }
}

async function utf8Error(file: string, filePath: string, p: Utf8Problem): Promise<ChronosLensError> {
  // Rare path: read the file again up to the bad byte to say on which line it is.
  let line: number | undefined;
  try {
    const counter = new LineCounter();
    let read = 0;
    if (p.offset > 0) {
      for await (const chunk of createReadStream(filePath, { start: 0, end: p.offset - 1, highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        counter.push(chunk);
        read += chunk.length;
        counter.lineAt(read);
      }
    }
    line = counter.lineAt(read);
  } catch {
    line = undefined;
  }
  const where = `byte 0x${p.byte.toString(16).padStart(2, '0').toUpperCase()} at offset ${p.offset}${line !== undefined ? ` (line ${line + 1})` : ''}`;
  return new ChronosLensError(
    'BAD_CSV',
    p.truncated
      ? `${file} is not valid UTF-8: it ends in the middle of a multi-byte character (${where}). Save it as UTF-8.`
      : `${file} is not valid UTF-8: ${where}. Save it as UTF-8 (it may be Latin-1/Windows-1252).`,
  );
}

function parseError(file: string, e: unknown): ChronosLensError {
  if (e instanceof ChronosLensError) return e;
  const err = e as Partial<CsvError> & Error;
  const hint =
    err.code === 'CSV_QUOTE_NOT_CLOSED' || err.code === 'CSV_MAX_RECORD_SIZE'
      ? ' A quoted field is probably missing its closing quote.'
      : err.code === 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE' || err.code === 'CSV_INVALID_CLOSING_QUOTE'
        ? ' Quotes inside a quoted field must be doubled ("").'
        : '';
  return new ChronosLensError('BAD_CSV', `${file} could not be parsed: ${err.message ?? String(e)}.${hint}`, { cause: e });
}

function fsError(e: unknown, filePath: string): ChronosLensError {
  if (e instanceof ChronosLensError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new ChronosLensError('NOT_FOUND', `CSV file not found: ${filePath}`, { cause: e });
  if (e instanceof Error && e.name === 'AbortError') return new CancelledError();
  return new ChronosLensError('IO', `Could not read ${filePath}: ${(e as Error).message ?? String(e)}`, { cause: e });
}

function throttle(onProgress: ProgressCallback | undefined, file: string): (fraction: number, force?: boolean) => void {
  let last = -1;
  return (fraction, force = false) => {
    if (!onProgress) return;
    if (force || fraction - last >= 0.01) {
      last = fraction;
      onProgress({ fraction: Math.min(1, fraction), message: `Reading ${file}` });
    }
  };
}
