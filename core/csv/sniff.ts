/**
 * Delimiter detection on the first part of a file. Each candidate (`,` `;` tab `|`) tokenizes the
 * sample with csv-parse (so quotes are honoured); the winner splits rows into a consistent number of
 * fields (at least 2), and among consistent candidates the one whose cells read as numbers, timestamps
 * or missing markers most often (which separates `;` files with decimal commas from `,` files).
 */
import { parse } from 'csv-parse/sync';
import { CellClass, classifyCell } from './cells';
import type { CsvDelimiter } from './types';

export const DELIMITERS: readonly CsvDelimiter[] = [',', ';', '\t', '|'];

/** Record delimiters, longest first: CRLF, then a bare CR or LF. */
export const RECORD_DELIMITERS = ['\r\n', '\r', '\n'];

/** Records examined by the sniffer. */
const SAMPLE_RECORDS = 200;

export interface SniffResult {
  delimiter: CsvDelimiter;
  /** The most common number of fields per record in the sample (not counting the first record). */
  fields: number;
}

/**
 * Picks the delimiter of a CSV from its beginning.
 * @param sample the first bytes of the file, decoded (a BOM, if any, removed).
 * @param complete whether the sample is the whole file (otherwise its last, partial line is dropped).
 */
export function sniffDelimiter(sample: string, complete: boolean, forced?: CsvDelimiter): SniffResult {
  let text = sample;
  if (!complete) {
    const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    if (cut > 0) text = text.slice(0, cut);
  }
  let best: { d: CsvDelimiter; score: number; fields: number } | undefined;
  for (const d of forced ? [forced] : DELIMITERS) {
    const records = tokenize(text, d);
    // Nothing tokenizes (an empty sample, or quoting that this delimiter cannot explain).
    if (records.length === 0) continue;
    const counts = records.map((r) => r.length);
    const body = counts.length > 1 ? counts.slice(1) : counts;
    const fields = mode(body);
    const consistency = counts.filter((c) => c === fields).length / counts.length;
    let typed = 0;
    let tabbed = 0;
    let cells = 0;
    for (let r = records.length > 1 ? 1 : 0; r < records.length; r++) {
      for (const cell of records[r]) {
        cells++;
        if (classifyCell(cell.trim(), d === ';') !== CellClass.Other) typed++;
        if (cell.includes('\t')) tabbed++;
      }
    }
    const typedShare = cells === 0 ? 0 : typed / cells;
    // Real cells rarely hold tabs; a split that leaves them inside cells probably missed the delimiter.
    const tabShare = cells === 0 ? 0 : tabbed / cells;
    // Splitting into a single field is consistent but says nothing: score it below any real split.
    const score = fields < 2 ? typedShare * 0.01 : consistency * 2 + typedShare - tabShare;
    if (best === undefined || score > best.score + 1e-9) best = { d, score, fields };
  }
  return best ? { delimiter: best.d, fields: best.fields } : { delimiter: forced ?? ',', fields: 1 };
}

/** Tokenizes the sample leniently; on a syntax error (e.g. the cut fell inside quotes), retries on less text. */
function tokenize(text: string, delimiter: CsvDelimiter): string[][] {
  let t = text;
  for (let attempt = 0; attempt < 6 && t.length > 0; attempt++) {
    try {
      const records = parse(t, {
        delimiter,
        record_delimiter: RECORD_DELIMITERS,
        relax_column_count: true,
        relax_quotes: true,
        skip_empty_lines: true,
        trim: true,
        to: SAMPLE_RECORDS,
      }) as string[][];
      return records.filter((r) => !(r.length === 1 && r[0].trim() === ''));
    } catch {
      const cut = Math.max(t.lastIndexOf('\n', t.length / 2), t.lastIndexOf('\r', t.length / 2));
      t = cut > 0 ? t.slice(0, cut) : '';
    }
  }
  return [];
}

function mode(xs: number[]): number {
  const counts = new Map<number, number>();
  let best = xs[0] ?? 1;
  let bestCount = 0;
  for (const x of xs) {
    const c = (counts.get(x) ?? 0) + 1;
    counts.set(x, c);
    if (c > bestCount || (c === bestCount && x > best)) {
      best = x;
      bestCount = c;
    }
  }
  return best;
}
