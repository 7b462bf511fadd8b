/**
 * Mapping between document lines and the rows of a series or table (for editor hovers and highlights).
 */

/**
 * Index of the kept row whose record starts on `line` (0-based), or -1 when no kept row starts there.
 * With `within`, the last kept row that starts on or before `line` (so a line inside a multi-line
 * record, a quoted field with newlines, maps to that record); -1 before the first kept row.
 *
 * @param lines the `lines` of a CsvSeries or CsvTable (increasing).
 */
export function rowAtLine(lines: ArrayLike<number>, line: number, within = false): number {
  let lo = 0;
  let hi = lines.length - 1;
  let below = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = lines[mid];
    if (v === line) return mid;
    if (v < line) {
      below = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return within ? below : -1;
}
