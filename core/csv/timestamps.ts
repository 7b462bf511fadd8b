/**
 * ISO-like timestamps in CSV files: recognising them, reading them as epoch milliseconds, inferring the
 * step between consecutive rows, and continuing a series of timestamps in the same textual format (for
 * the x-axis of a forecast).
 *
 * Accepted forms (year always 4 digits; month, day and hour may be 1 or 2 digits):
 * `2020-01`, `2020-01-31`, `2020/01/31`, `2020-01-31 13:45`, `2020-01-31T13:45:10`,
 * `2020-01-31 13:45:10.250`, with an optional zone `Z`, `+02:00`, `+0200` or `+02`.
 * A bare year (`1990`) is only a timestamp when the caller says so (see {@link parseTimestamp}), because
 * it is indistinguishable from a number.
 *
 * Timestamps without a zone are read as UTC. That is only a convention for arithmetic: they are never
 * shifted, and continued timestamps are written back without a zone, exactly like the input.
 */

const TS_RE =
  /^(\d{4})([-/])(\d{1,2})(?:\2(\d{1,2})(?:([T ])(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:( ?)(Z|[+-]\d{2}(?::?\d{2})?))?)?)?$/;
const YEAR_RE = /^\d{4}$/;

const MS_SECOND = 1000;
const MS_MINUTE = 60 * MS_SECOND;
const MS_HOUR = 60 * MS_MINUTE;
const MS_DAY = 24 * MS_HOUR;
const MS_WEEK = 7 * MS_DAY;

/** How a timestamp is written, so that new timestamps can be written the same way. */
export interface TimestampFormat {
  /** `-` or `/` between year, month and day. */
  dateSep: '-' | '/';
  /** Whether the day is present (`2020-01` has none). */
  hasDay: boolean;
  /** Whether month and day (and hour) are zero-padded to 2 digits. */
  padded: boolean;
  /** `T` or ` ` between date and time; absent when there is no time. */
  timeSep?: 'T' | ' ';
  /** 0 (no time), 2 (`HH:MM`) or 3 (`HH:MM:SS`). */
  timeParts: 0 | 2 | 3;
  /** Digits of the fractional second (0 when none). */
  fracDigits: number;
  /** The zone suffix exactly as written (`''`, `Z`, `+02:00`, ...), and whether a space preceded it. */
  zone: string;
  zoneSpace: boolean;
  /** The zone's offset from UTC in minutes (0 when no zone). */
  offsetMinutes: number;
  /** A bare 4-digit year. */
  yearOnly: boolean;
}

/** A parsed timestamp: wall-clock fields as written, the instant, and the format. */
export interface ParsedTimestamp {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31; 1 when the text has no day. */
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Milliseconds since 1970-01-01T00:00Z (wall clock read as UTC when there is no zone). */
  epochMs: number;
  format: TimestampFormat;
}

/** True when `text` (already trimmed) is an ISO-like date or date-time that {@link parseTimestamp} accepts. */
export function isTimestampText(text: string): boolean {
  // Cheap rejection before the regular expression: must start with 4 digits and a separator.
  if (text.length < 6 || text.length > 40) return false;
  const c4 = text.charCodeAt(4);
  if (c4 !== 45 /* - */ && c4 !== 47 /* / */) return false;
  const m = TS_RE.exec(text);
  return m !== null && fieldsValid(m);
}

/** Range checks on a TS_RE match (month, day of that month, time of day, zone offset). */
function fieldsValid(m: RegExpExecArray): boolean {
  const month = Number(m[3]);
  if (month < 1 || month > 12) return false;
  if (m[4] !== undefined) {
    const day = Number(m[4]);
    if (day < 1 || day > daysInMonth(Number(m[1]), month)) return false;
  }
  if (m[6] !== undefined && (Number(m[6]) > 23 || Number(m[7]) > 59 || (m[8] !== undefined && Number(m[8]) > 59))) return false;
  const zone = m[11];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23 || (digits.length > 2 && Number(digits.slice(2, 4)) > 59)) return false;
  }
  return true;
}

/**
 * Parses an ISO-like timestamp (see the module comment). Returns undefined for anything else, including
 * impossible dates such as `2021-02-30`. With `allowYearOnly`, a bare 4-digit year is accepted too.
 */
export function parseTimestamp(text: string, allowYearOnly = false): ParsedTimestamp | undefined {
  const t = text.trim();
  if (allowYearOnly && YEAR_RE.test(t)) {
    const year = Number(t);
    return {
      year, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0,
      epochMs: utcMs(year, 1, 1, 0, 0, 0, 0),
      format: { dateSep: '-', hasDay: false, padded: true, timeParts: 0, fracDigits: 0, zone: '', zoneSpace: false, offsetMinutes: 0, yearOnly: true },
    };
  }
  const m = TS_RE.exec(t);
  if (!m || !fieldsValid(m)) return undefined;
  const year = Number(m[1]);
  const month = Number(m[3]);
  const hasDay = m[4] !== undefined;
  const day = hasDay ? Number(m[4]) : 1;
  const timeParts: 0 | 2 | 3 = m[6] === undefined ? 0 : m[8] === undefined ? 2 : 3;
  const hour = m[6] === undefined ? 0 : Number(m[6]);
  const minute = m[7] === undefined ? 0 : Number(m[7]);
  const second = m[8] === undefined ? 0 : Number(m[8]);
  const frac = m[9] ?? '';
  const millisecond = frac === '' ? 0 : Math.round(Number(`0.${frac}`) * 1000);
  const zone = m[11] ?? '';
  let offsetMinutes = 0;
  if (zone !== '' && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0));
  }
  const zoneSpace = m[10] === ' ';
  const padded = m[3].length === 2 && (!hasDay || m[4].length === 2) && (m[6] === undefined || m[6].length === 2);
  const epochMs = utcMs(year, month, day, hour, minute, second, millisecond) - offsetMinutes * MS_MINUTE;
  return {
    year, month, day, hour, minute, second, millisecond, epochMs,
    format: {
      dateSep: m[2] as '-' | '/',
      hasDay,
      padded,
      timeSep: m[5] as 'T' | ' ' | undefined,
      timeParts,
      fracDigits: frac.length,
      zone,
      zoneSpace,
      offsetMinutes,
      yearOnly: false,
    },
  };
}

/** Writes wall-clock fields in the given format (the inverse of {@link parseTimestamp}). */
export function formatTimestamp(
  f: TimestampFormat,
  p: { year: number; month: number; day: number; hour: number; minute: number; second: number; millisecond: number },
): string {
  const y = String(p.year).padStart(4, '0');
  if (f.yearOnly) return y;
  const two = (n: number): string => (f.padded ? String(n).padStart(2, '0') : String(n));
  let s = `${y}${f.dateSep}${two(p.month)}`;
  if (!f.hasDay) return s;
  s += `${f.dateSep}${two(p.day)}`;
  if (f.timeParts === 0) return s;
  s += `${f.timeSep ?? ' '}${two(p.hour)}:${String(p.minute).padStart(2, '0')}`;
  if (f.timeParts === 3) {
    s += `:${String(p.second).padStart(2, '0')}`;
    if (f.fracDigits > 0) {
      const ms = String(p.millisecond).padStart(3, '0');
      s += `.${f.fracDigits <= 3 ? ms.slice(0, f.fracDigits) : ms.padEnd(f.fracDigits, '0')}`;
    }
  }
  if (f.zone !== '') s += `${f.zoneSpace ? ' ' : ''}${f.zone}`;
  return s;
}

/** The step between consecutive rows of a time column. */
export interface TimeStep {
  /**
   * `hourly`, `daily`, `weekly` (fixed durations), `monthly`, `quarterly`, `yearly` (calendar steps),
   * `months` (another whole number of calendar months) or `fixed` (another fixed duration).
   */
  name: 'hourly' | 'daily' | 'weekly' | 'monthly' | 'quarterly' | 'yearly' | 'months' | 'fixed';
  /** Calendar months per step (> 0 for calendar steps, else 0). */
  months: number;
  /** Milliseconds per step (> 0 for fixed-duration steps, else 0). */
  ms: number;
  /** Whether calendar steps land on the last day of each month (e.g. 2020-01-31, 2020-02-29, ...). */
  monthEnd: boolean;
  /** Fraction of consecutive intervals that equal the step: 1 for a perfectly regular series. */
  regularity: number;
  /** Indices i (into the input) where the interval from the previous timestamp is not one step. */
  irregularAt: number[];
}

export type StepResult = { ok: true; step: TimeStep } | { ok: false; reason: string };

/** Minimum share of intervals that must agree on one step for the series to count as regular. */
export const MIN_REGULARITY = 0.9;

/**
 * Infers the step of a time column from its timestamps as written in the file. Missing entries (empty
 * strings or unparsable text) are skipped; intervals across them are divided by the number of rows
 * they span. The series is regular when at least {@link MIN_REGULARITY} of the intervals agree.
 *
 * @param allowYearOnly treat bare 4-digit years (`1990`) as timestamps (a `Year` column).
 */
export function inferTimeStep(timestamps: readonly string[], allowYearOnly = false): StepResult {
  const parsed: { i: number; p: ParsedTimestamp }[] = [];
  for (let i = 0; i < timestamps.length; i++) {
    const p = parseTimestamp(timestamps[i], allowYearOnly);
    if (p) parsed.push({ i, p });
  }
  if (parsed.length < 2) {
    return { ok: false, reason: `need at least 2 ISO timestamps to infer a step, found ${parsed.length}` };
  }
  if (parsed.length < 0.9 * timestamps.filter((t) => t.trim() !== '').length) {
    return { ok: false, reason: `only ${parsed.length} of ${timestamps.length} entries are ISO timestamps` };
  }

  // Calendar steps: every timestamp on the same day-of-month and time (or all on the last day of their month).
  const first = parsed[0].p;
  const sameWall = (p: ParsedTimestamp): boolean =>
    p.hour === first.hour && p.minute === first.minute && p.second === first.second && p.millisecond === first.millisecond;
  const sameDay = parsed.every(({ p }) => p.day === first.day && sameWall(p));
  const allMonthEnd = !sameDay && parsed.every(({ p }) => p.format.hasDay && p.day === daysInMonth(p.year, p.month) && sameWall(p));
  if (sameDay || allMonthEnd) {
    const diffs: number[] = [];
    for (let k = 1; k < parsed.length; k++) {
      const a = parsed[k - 1];
      const b = parsed[k];
      diffs.push((b.p.year * 12 + b.p.month - (a.p.year * 12 + a.p.month)) / (b.i - a.i));
    }
    const [mode, count] = modeOf(diffs);
    if (Number.isInteger(mode) && mode > 0 && count >= MIN_REGULARITY * diffs.length) {
      const name = mode === 1 ? 'monthly' : mode === 3 ? 'quarterly' : mode === 12 ? 'yearly' : 'months';
      return {
        ok: true,
        step: { name, months: mode, ms: 0, monthEnd: allMonthEnd, regularity: count / diffs.length, irregularAt: irregular(parsed, diffs, mode) },
      };
    }
    if (mode < 0 && count >= MIN_REGULARITY * diffs.length) {
      return { ok: false, reason: 'the timestamps are in descending order (newest first)' };
    }
  }

  const diffs: number[] = [];
  for (let k = 1; k < parsed.length; k++) {
    const a = parsed[k - 1];
    const b = parsed[k];
    diffs.push((b.p.epochMs - a.p.epochMs) / (b.i - a.i));
  }
  const [mode, count] = modeOf(diffs);
  const regularity = count / diffs.length;
  if (mode === 0 && count >= MIN_REGULARITY * diffs.length) return { ok: false, reason: 'the timestamps repeat (no time passes between rows)' };
  if (mode < 0 && count >= MIN_REGULARITY * diffs.length) return { ok: false, reason: 'the timestamps are in descending order (newest first)' };
  if (!(mode > 0) || regularity < MIN_REGULARITY) {
    return {
      ok: false,
      reason: `the timestamps are irregular: the most common interval (${describeMs(mode)}) covers ${Math.round(regularity * 100)}% of rows, below ${MIN_REGULARITY * 100}%`,
    };
  }
  const name = mode === MS_HOUR ? 'hourly' : mode === MS_DAY ? 'daily' : mode === MS_WEEK ? 'weekly' : 'fixed';
  return { ok: true, step: { name, months: 0, ms: mode, monthEnd: false, regularity, irregularAt: irregular(parsed, diffs, mode) } };
}

export type NextTimestampsResult = { ok: true; timestamps: string[]; step: TimeStep } | { ok: false; reason: string };

/**
 * The `count` timestamps that follow the given ones (e.g. the x-axis of a forecast), written in the same
 * format as the last timestamp. The first returned timestamp is one step after the last row, even when
 * the last rows' timestamps are missing.
 */
export function nextTimestamps(timestamps: readonly string[], count: number, allowYearOnly = false): NextTimestampsResult {
  if (!Number.isInteger(count) || count < 0) return { ok: false, reason: `count must be a non-negative integer, got ${count}` };
  const inferred = inferTimeStep(timestamps, allowYearOnly);
  if (!inferred.ok) return inferred;
  const step = inferred.step;
  let lastIndex = timestamps.length - 1;
  let last: ParsedTimestamp | undefined;
  for (; lastIndex >= 0; lastIndex--) {
    last = parseTimestamp(timestamps[lastIndex], allowYearOnly);
    if (last) break;
  }
  if (!last) return { ok: false, reason: 'no timestamp to continue from' };
  const f = last.format;
  const resolution = !f.hasDay ? 0 : f.timeParts === 0 ? MS_DAY : f.timeParts === 2 ? MS_MINUTE : f.fracDigits === 0 ? MS_SECOND : 1;
  if (step.ms > 0) {
    if (resolution === 0 || step.ms % resolution !== 0) {
      return { ok: false, reason: `a step of ${describeMs(step.ms)} cannot be written in the format of "${timestamps[lastIndex]}"` };
    }
  } else if (f.yearOnly && step.months % 12 !== 0) {
    return { ok: false, reason: `a step of ${step.months} months cannot be written as a bare year` };
  }
  const out: string[] = [];
  const ahead = timestamps.length - 1 - lastIndex;
  for (let k = 1; k <= count; k++) {
    const n = ahead + k;
    if (step.months > 0) {
      const total = last.year * 12 + (last.month - 1) + n * step.months;
      const year = Math.floor(total / 12);
      const month = (total % 12) + 1;
      const dim = daysInMonth(year, month);
      const day = step.monthEnd ? dim : Math.min(last.day, dim);
      out.push(formatTimestamp(f, { year, month, day, hour: last.hour, minute: last.minute, second: last.second, millisecond: last.millisecond }));
    } else {
      // Work on the wall clock as written: shift by the zone offset so that the written zone stays true.
      const wall = new Date(last.epochMs + f.offsetMinutes * MS_MINUTE + n * step.ms);
      out.push(
        formatTimestamp(f, {
          year: wall.getUTCFullYear(),
          month: wall.getUTCMonth() + 1,
          day: wall.getUTCDate(),
          hour: wall.getUTCHours(),
          minute: wall.getUTCMinutes(),
          second: wall.getUTCSeconds(),
          millisecond: wall.getUTCMilliseconds(),
        }),
      );
    }
  }
  return { ok: true, timestamps: out, step };
}

/** A short human description of a duration, for messages: `1 day`, `15 minutes`, `2.5 hours`. */
export function describeMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const units: [number, string][] = [[MS_WEEK, 'week'], [MS_DAY, 'day'], [MS_HOUR, 'hour'], [MS_MINUTE, 'minute'], [MS_SECOND, 'second']];
  for (const [u, name] of units) {
    if (Math.abs(ms) >= u) {
      const v = ms / u;
      const r = Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '');
      return `${r} ${name}${v === 1 ? '' : 's'}`;
    }
  }
  return `${ms} ms`;
}

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** 400 Gregorian years, in milliseconds (146097 days exactly). */
const MS_400_YEARS = 146097 * MS_DAY;

function utcMs(year: number, month: number, day: number, h: number, mi: number, s: number, ms: number): number {
  // Date.UTC maps years 0-99 to 1900-1999; go through the same date 400 years later instead.
  if (year < 100) return Date.UTC(year + 400, month - 1, day, h, mi, s, ms) - MS_400_YEARS;
  return Date.UTC(year, month - 1, day, h, mi, s, ms);
}

function modeOf(xs: number[]): [number, number] {
  const counts = new Map<number, number>();
  let best = NaN;
  let bestCount = 0;
  for (const x of xs) {
    const c = (counts.get(x) ?? 0) + 1;
    counts.set(x, c);
    if (c > bestCount) {
      best = x;
      bestCount = c;
    }
  }
  return [best, bestCount];
}

function irregular(parsed: { i: number }[], diffs: number[], mode: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < diffs.length; k++) if (diffs[k] !== mode) out.push(parsed[k + 1].i);
  return out;
}
