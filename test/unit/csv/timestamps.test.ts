/** Timestamp recognition, step inference and continuation in the input's own format. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { describeMs, formatTimestamp, inferTimeStep, isTimestampText, nextTimestamps, parseTimestamp } from '../../../core/csv';

function next(ts: string[], n: number, yearOnly = false): string[] {
  const r = nextTimestamps(ts, n, yearOnly);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.timestamps;
}

function failReason(ts: string[], n = 2, yearOnly = false): string {
  const r = nextTimestamps(ts, n, yearOnly);
  assert.equal(r.ok, false, JSON.stringify(r));
  return r.ok ? '' : r.reason;
}

describe('csv: timestamps', () => {
  it('recognises ISO-like dates and date-times, and nothing else', () => {
    for (const t of [
      '1949-01', '1981-01-01', '2016-07-01 00:00:00', '2016-07-01T00:00', '2020/01/31', '2020-1-5', '2020-01-01T12:30:15.250Z',
      '2020-01-01 12:30:15+02:00', '2020-01-01T12:30:15-0530', '2020-01-01T12:30+01', '2020-02-29', '2020-01-01 12:00:00 +00:00',
    ]) {
      assert.ok(isTimestampText(t), t);
      assert.ok(parseTimestamp(t), t);
    }
    for (const t of [
      '1-01', '1990', '12/31/2020', '31.12.2020', '2020', 'abc', '2020-01-01x', '2021-02-29', '2020-13-01', '2020-00-10', '2020-01-32',
      '2020-01-01 24:00', '2020-01-01 12:60', '20200101', '2020-01-01T12', '', '2020-01-01T12:00+25:00',
    ]) {
      assert.equal(isTimestampText(t), false, t);
      assert.equal(parseTimestamp(t), undefined, t);
    }
    assert.ok(parseTimestamp('1990', true));
    assert.equal(parseTimestamp('1990'), undefined);
  });

  it('reads the instant: naive as UTC, zones applied, fractions kept, years before 100 right', () => {
    assert.equal(parseTimestamp('1949-01')?.epochMs, Date.UTC(1949, 0, 1));
    assert.equal(parseTimestamp('2016-07-01 13:45:10')?.epochMs, Date.UTC(2016, 6, 1, 13, 45, 10));
    assert.equal(parseTimestamp('2020-01-01T00:00:00+02:00')?.epochMs, Date.UTC(2019, 11, 31, 22));
    assert.equal(parseTimestamp('2020-01-01T00:00:00-0530')?.epochMs, Date.UTC(2020, 0, 1, 5, 30));
    assert.equal(parseTimestamp('2020-01-01T00:00:00.25Z')?.epochMs, Date.UTC(2020, 0, 1, 0, 0, 0, 250));
    assert.equal(parseTimestamp('0050-03-01')?.epochMs, new Date('0050-03-01T00:00:00Z').getTime());
    assert.equal(parseTimestamp('1990', true)?.epochMs, Date.UTC(1990, 0, 1));
  });

  it('writes timestamps back exactly as they were written', () => {
    for (const t of [
      '1949-01', '1981-01-01', '2016-07-01 00:00:00', '2016-07-01T00:00', '2020/01/31', '2020-1-5', '2020-01-01T12:30:15.250Z',
      '2020-01-01 12:30:15+02:00', '2020-01-01T12:30:15-0530', '2020-01-01T12:30+01', '2020-01-01 12:00:00 +00:00', '2020-01-01T01:02:03.5',
      '0050-03-01',
    ]) {
      const p = parseTimestamp(t);
      assert.ok(p, t);
      assert.equal(formatTimestamp(p.format, p), t);
    }
  });

  it('infers hourly, daily, weekly, monthly, quarterly, yearly and fixed steps', () => {
    const cases: [string[], string, number, number][] = [
      [['2016-07-01 00:00:00', '2016-07-01 01:00:00', '2016-07-01 02:00:00'], 'hourly', 0, 3_600_000],
      [['1981-01-01', '1981-01-02', '1981-01-03'], 'daily', 0, 86_400_000],
      [['2024-01-01', '2024-01-08', '2024-01-15'], 'weekly', 0, 604_800_000],
      [['1949-01', '1949-02', '1949-03'], 'monthly', 1, 0],
      [['1949-01-15', '1949-02-15', '1949-03-15'], 'monthly', 1, 0],
      [['2020-01-01', '2020-04-01', '2020-07-01', '2020-10-01'], 'quarterly', 3, 0],
      [['2018-01-01', '2019-01-01', '2020-01-01'], 'yearly', 12, 0],
      [['2020-01', '2020-07', '2021-01'], 'months', 6, 0],
      [['2020-01-01 00:00', '2020-01-01 00:15', '2020-01-01 00:30'], 'fixed', 0, 900_000],
    ];
    for (const [ts, name, months, ms] of cases) {
      const r = inferTimeStep(ts);
      assert.ok(r.ok, `${ts}: ${r.ok ? '' : r.reason}`);
      assert.deepEqual([r.step.name, r.step.months, r.step.ms, r.step.regularity], [name, months, ms, 1], ts.join(' '));
    }
    const y = inferTimeStep(['1990', '1991', '1992'], true);
    assert.ok(y.ok && y.step.name === 'yearly');
  });

  it('continues in the same format', () => {
    assert.deepEqual(next(['2018-06-26 18:00:00', '2018-06-26 19:00:00'], 6).slice(4), ['2018-06-27 00:00:00', '2018-06-27 01:00:00']);
    assert.deepEqual(next(['1960-10', '1960-11', '1960-12'], 3), ['1961-01', '1961-02', '1961-03']);
    assert.deepEqual(next(['2020-07-01', '2020-10-01'], 2), ['2021-01-01', '2021-04-01']);
    assert.deepEqual(next(['2019-12-30', '2019-12-31'], 2), ['2020-01-01', '2020-01-02']);
    assert.deepEqual(next(['2020-02-27', '2020-02-28'], 2), ['2020-02-29', '2020-03-01']);
    assert.deepEqual(next(['2024-01-01', '2024-01-08'], 2), ['2024-01-15', '2024-01-22']);
    assert.deepEqual(next(['2020/01/30', '2020/01/31'], 1), ['2020/02/01']);
    assert.deepEqual(next(['2020-1-8', '2020-1-9'], 2), ['2020-1-10', '2020-1-11']);
    assert.deepEqual(next(['2021-03-27T22:00+01:00', '2021-03-27T23:00+01:00'], 2), ['2021-03-28T00:00+01:00', '2021-03-28T01:00+01:00']);
    assert.deepEqual(next(['2020-01-01T00:00:00.500Z', '2020-01-01T00:00:01.000Z'], 1), ['2020-01-01T00:00:01.500Z']);
    assert.deepEqual(next(['2020-01-01T00:00Z', '2020-01-01T00:15Z'], 1), ['2020-01-01T00:30Z']);
    assert.deepEqual(next(['2018', '2019'], 2, true), ['2020', '2021']);
    assert.deepEqual(next(['1949-01', '1949-02'], 0), []);
  });

  it('month-end series stay on month ends', () => {
    const r = nextTimestamps(['2019-11-30', '2019-12-31', '2020-01-31'], 3);
    assert.ok(r.ok && r.step.monthEnd && r.step.name === 'monthly');
    assert.deepEqual(r.ok && r.timestamps, ['2020-02-29', '2020-03-31', '2020-04-30']);
    assert.deepEqual(next(['2020-03-31', '2020-06-30', '2020-09-30'], 2), ['2020-12-31', '2021-03-31']);
  });

  it('skips missing entries; the continuation starts one step after the last row', () => {
    const r = inferTimeStep(['2020-01-01', '', '2020-01-03', '2020-01-04']);
    assert.ok(r.ok && r.step.name === 'daily' && r.step.regularity === 1);
    assert.deepEqual(next(['2020-01', '2020-02', '', ''], 2), ['2020-05', '2020-06']);
    assert.deepEqual(next(['2020-01-01 00:00', '', '2020-01-01 02:00', ''], 1), ['2020-01-01 04:00']);
  });

  it('tolerates a few irregular intervals and reports where they are', () => {
    const ts = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    ts.splice(10, 1); // one day missing
    const r = inferTimeStep(ts);
    assert.ok(r.ok);
    assert.equal(r.step.name, 'daily');
    assert.deepEqual(r.step.irregularAt, [10]);
    assert.equal(r.step.regularity, 27 / 28);
  });

  it('says why it cannot continue', () => {
    assert.match(failReason(['1-01', '1-02', '1-03']), /need at least 2 ISO timestamps/);
    assert.match(failReason(['2020-01-01']), /need at least 2/);
    assert.match(failReason(['2020-01-03', '2020-01-02', '2020-01-01']), /descending/);
    assert.match(failReason(['2020-03', '2020-02', '2020-01']), /descending/);
    assert.match(failReason(['2020-01-01', '2020-01-01', '2020-01-01']), /repeat/);
    assert.match(failReason(['2020-01-01', '2020-01-02', '2020-01-05', '2020-01-07', '2020-01-15', '2020-01-16']), /irregular: the most common interval \(1 day\) covers 40% of rows/);
    assert.match(failReason(['2020-01-01T00:00', '2020-01-01T00:00', '2020-01-01T00:01']), /repeat|irregular/);
    assert.match(failReason(['2020-01-01T00:00:00', '2020-01-01T00:00:30', '2020-01-01T00:01:00', '2020-01-01T00:01:30'].map((t) => t.slice(0, 16))), /repeat|irregular/);
    assert.match(failReason(['2020', '2021'], 2, false), /ISO timestamps/);
    assert.match(failReason(['2020-01', '2020-02', 'x', 'y', 'z']), /only 2 of 5 entries/);
    const bad = nextTimestamps(['2020-01', '2020-02'], -1);
    assert.equal(bad.ok, false);
  });

  it('describes durations for messages', () => {
    assert.equal(describeMs(86_400_000), '1 day');
    assert.equal(describeMs(900_000), '15 minutes');
    assert.equal(describeMs(9_000_000), '2.5 hours');
    assert.equal(describeMs(1_209_600_000), '2 weeks');
    assert.equal(describeMs(250), '250 ms');
  });
});
