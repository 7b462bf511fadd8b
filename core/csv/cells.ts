/**
 * What one CSV cell holds: a missing marker, a number, an ISO timestamp, or other text; and how a
 * numeric cell is read as a double. Cells arrive trimmed of surrounding whitespace.
 */
import { isTimestampText } from './timestamps';

/**
 * Texts that mean "no value", compared case-insensitively after trimming: the empty string, `NA`,
 * `N/A`, `#N/A`, `NaN`, `null`, `None`, `?`, `-` and `--`.
 */
export const MISSING_MARKERS: readonly string[] = ['', 'na', 'n/a', '#n/a', 'nan', 'null', 'none', '?', '-', '--'];
const MISSING = new Set(MISSING_MARKERS);

export function isMissingMarker(text: string): boolean {
  return text.length <= 4 && MISSING.has(text.toLowerCase());
}

export enum CellClass {
  Missing = 0,
  Number = 1,
  Timestamp = 2,
  Other = 3,
}

/** Plain decimal: `12`, `-3.5`, `.5`, `5.`, `1e-3`. */
const PLAIN = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Thousands separated by commas, decimal point: `1,234`, `-12,345,678.9`. */
const GROUPED_COMMA = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$/;
/** Decimal comma, optionally with dots grouping thousands: `1,5`, `-0,25`, `1.234,5`, `,5`. */
const DECIMAL_COMMA = /^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+(?:[eE][+-]?\d+)?$/;
/** Thousands separated by dots, no decimals: `1.234.567` (a plain `1.234` also matches PLAIN). */
const GROUPED_DOT = /^[+-]?\d{1,3}(?:\.\d{3})+$/;

/**
 * Classifies a trimmed cell.
 * @param decimalComma the file's delimiter is `;`, so `1,5` is a number (one and a half) and dots may
 *   group thousands; otherwise commas may only group thousands (`"1,234.5"`).
 */
export function classifyCell(text: string, decimalComma: boolean): CellClass {
  if (text.length === 0) return CellClass.Missing;
  const c = text.charCodeAt(0);
  // Digits, sign or dot first: try numbers before anything else.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 44) {
    if (PLAIN.test(text)) return CellClass.Number;
    if (decimalComma ? DECIMAL_COMMA.test(text) || GROUPED_DOT.test(text) : GROUPED_COMMA.test(text)) return CellClass.Number;
    if (isTimestampText(text)) return CellClass.Timestamp;
  }
  if (isMissingMarker(text)) return CellClass.Missing;
  return CellClass.Other;
}

/**
 * Reads a cell as a number; NaN for missing markers and for anything that is not a number.
 * @param decimalComma as for {@link classifyCell}.
 * @param dotsGroupThousands in a decimal-comma column, read `1.234` as 1234 (the column writes decimals
 *   with commas, so a dot can only group thousands).
 */
export function parseNumberCell(text: string, decimalComma: boolean, dotsGroupThousands = false): number {
  if (text.length === 0) return NaN;
  if (PLAIN.test(text)) {
    if (dotsGroupThousands && GROUPED_DOT.test(text)) return Number(text.replace(/\./g, ''));
    return Number(text);
  }
  if (decimalComma) {
    if (DECIMAL_COMMA.test(text)) return Number(text.replace(/\./g, '').replace(',', '.'));
    if (GROUPED_DOT.test(text)) return Number(text.replace(/\./g, ''));
  } else if (GROUPED_COMMA.test(text)) {
    return Number(text.replace(/,/g, ''));
  }
  return NaN;
}

/** The warning for cells of a numeric column that are not numbers (`first.line` 0-based). */
export function invalidCellsMessage(column: string, file: string, count: number, first: { text: string; line: number }): string {
  const one = count === 1;
  return `${count} cell${one ? '' : 's'} of column "${column}" in ${file} ${one ? 'is' : 'are'} not ${one ? 'a number' : 'numbers'} and ${one ? 'was' : 'were'} read as missing (first: "${first.text}" on line ${first.line + 1}).`;
}
