/**
 * CSV reading for Chronos Lens: real, messy files from disk (streamed, tail kept) or from an editor's
 * text, into numeric series with time axes and line numbers.
 *
 * - {@link readCsvFile} / {@link parseCsvText}: one numeric series (the common case).
 * - {@link readCsvTable} / {@link parseCsvTable} + {@link selectSeries}: read once, list the columns,
 *   pick series from the kept rows.
 * - {@link inferTimeStep} / {@link nextTimestamps}: the step of a time axis and its continuation.
 * - {@link rowAtLine}: the kept row on a given document line (editor hovers).
 * - `./scan` (imported directly, to stay light): a long document's column streamed in time slices.
 */
export { readCsvFile, parseCsvText, readCsvTable, parseCsvTable } from './read';
export { selectSeries, findColumn, defaultValueColumn, valueColumns, KIND_THRESHOLD, RAGGED_TOLERANCE } from './table';
export { MISSING_MARKERS, invalidCellsMessage, isMissingMarker, parseNumberCell } from './cells';
export { DELIMITERS, sniffDelimiter } from './sniff';
export {
  inferTimeStep,
  nextTimestamps,
  parseTimestamp,
  formatTimestamp,
  isTimestampText,
  describeMs,
  MIN_REGULARITY,
} from './timestamps';
export type { TimeStep, StepResult, NextTimestampsResult, ParsedTimestamp, TimestampFormat } from './timestamps';
export type { CsvColumn, CsvColumnKind, CsvDelimiter, CsvReadOptions, CsvSeries, CsvTable, CsvTimeAxis } from './types';
export { rowAtLine } from './lines';
