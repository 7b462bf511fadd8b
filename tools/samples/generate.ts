/**
 * Generates the sample CSVs in samples/ (and samples/README.md), deterministically: every number comes
 * from `Rng` with a fixed seed and is written with a fixed number of decimals, so re-running the script
 * reproduces the committed files byte for byte (a unit test checks this).
 *
 * Usage: npx tsx tools/samples/generate.ts [--out DIR]   (npm run samples; default DIR: samples/)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../core/rng';

export interface Sample {
  file: string;
  /** One line for samples/README.md. */
  description: string;
  content: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
function isoDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
function csv(header: string, rows: string[]): string {
  return `${header}\n${rows.join('\n')}\n`;
}

/** A clean periodic signal: period 24 with a second harmonic, no noise. */
function periodic(): Sample {
  const n = 480;
  const rows: string[] = [];
  for (let t = 0; t < n; t++) {
    const x = (2 * Math.PI * t) / 24;
    rows.push((10 + 3 * Math.sin(x) + 1.2 * Math.sin(2 * x + 0.7)).toFixed(4));
  }
  return {
    file: 'periodic.csv',
    description: '480 points of a clean periodic signal (period 24, two harmonics, no noise, no timestamps).',
    content: csv('value', rows),
  };
}

/** A random motif of 50 points repeated 10 times: the time-series analogue of repeated random tokens. */
function motif(): Sample {
  const rng = new Rng(20240601);
  const length = 50;
  const repeats = 10;
  const m = Array.from({ length }, () => (5 + 2 * rng.normal()).toFixed(3));
  const rows: string[] = [];
  for (let r = 0; r < repeats; r++) rows.push(...m);
  return {
    file: 'repeated-motif.csv',
    description: `A random motif of ${length} i.i.d. Gaussian points repeated ${repeats} times (${length * repeats} points): the time-series analogue of repeated random tokens, for induction heads.`,
    content: csv('value', rows),
  };
}

/** Four weeks of hourly load: a daily cycle, quieter weekends, and noise. */
function hourly(): Sample {
  const rng = new Rng(7);
  const start = Date.UTC(2024, 0, 1); // a Monday
  const rows: string[] = [];
  for (let h = 0; h < 4 * 7 * 24; h++) {
    const hourOfDay = h % 24;
    const dayOfWeek = Math.floor(h / 24) % 7; // 0 = Monday
    const daily = Math.max(0, Math.sin((Math.PI * (hourOfDay - 6)) / 14)) * 40 + 5 * Math.cos((2 * Math.PI * hourOfDay) / 24);
    const weekly = dayOfWeek >= 5 ? 0.6 : 1;
    const v = 50 + daily * weekly + 2.5 * rng.normal();
    rows.push(`${isoDateTime(start + h * HOUR)},${v.toFixed(2)}`);
  }
  return {
    file: 'hourly-load.csv',
    description: 'Four weeks of hourly load from 2024-01-01 00:00:00 (672 rows) with a daily cycle, quieter weekends (weekly seasonality) and Gaussian noise.',
    content: csv('timestamp,load', rows),
  };
}

/**
 * Two weeks of hourly building data in three related columns: occupancy (people in the building), the
 * electric load that follows it two hours later, and the outdoor temperature the load also rises with;
 * for forecasting several series together with covariates (Chronos-2).
 */
function building(): Sample {
  const rng = new Rng(2024);
  const start = Date.UTC(2024, 2, 4); // a Monday
  const n = 14 * 24;
  const occupancy: number[] = [];
  const rows: string[] = [];
  for (let h = 0; h < n; h++) {
    const hourOfDay = h % 24;
    const weekend = Math.floor(h / 24) % 7 >= 5;
    const open = hourOfDay >= 8 && hourOfDay < 18 && !weekend;
    occupancy.push(Math.max(0, (open ? 120 : 8) + 10 * rng.normal()));
  }
  for (let h = 0; h < n; h++) {
    const temperature = 12 + 6 * Math.sin((2 * Math.PI * (h % 24 - 9)) / 24) + 0.8 * rng.normal();
    const load = 30 + 0.35 * occupancy[Math.max(0, h - 2)] + 1.2 * temperature + 2 * rng.normal();
    rows.push(`${isoDateTime(start + h * HOUR)},${load.toFixed(2)},${occupancy[h].toFixed(1)},${temperature.toFixed(2)}`);
  }
  return {
    file: 'building.csv',
    description: `Two weeks of hourly building data from 2024-03-04 00:00:00 (${n} rows): occupancy, the electric load that follows it two hours later and rises with the outdoor temperature, and the temperature; related series and covariates for Chronos-2.`,
    content: csv('timestamp,load,occupancy,temperature', rows),
  };
}

/** Twenty years of monthly sales: a growing trend with multiplicative yearly seasonality. */
function monthly(): Sample {
  const rng = new Rng(1995);
  const rows: string[] = [];
  const season = [0.82, 0.78, 0.93, 0.97, 1.02, 1.08, 1.12, 1.1, 1.0, 0.98, 1.05, 1.25];
  for (let k = 0; k < 240; k++) {
    const year = 2000 + Math.floor(k / 12);
    const month = k % 12;
    const trend = 1000 + 12 * k + 0.02 * k * k;
    const v = trend * season[month] * (1 + 0.03 * rng.normal());
    rows.push(`${year}-${String(month + 1).padStart(2, '0')}-01,${Math.round(v)}`);
  }
  return {
    file: 'monthly-sales.csv',
    description: 'Twenty years of monthly sales, 2000-01-01 to 2019-12-01 (240 rows): a quadratic upward trend with multiplicative yearly seasonality and 3% noise.',
    content: csv('month,sales', rows),
  };
}

/** A Gaussian random walk: no structure, a control. */
function randomWalk(): Sample {
  const rng = new Rng(42);
  const start = Date.UTC(2023, 0, 1);
  const rows: string[] = [];
  let x = 100;
  for (let d = 0; d < 512; d++) {
    rows.push(`${isoDate(start + d * DAY)},${x.toFixed(3)}`);
    x += rng.normal();
  }
  return {
    file: 'random-walk.csv',
    description: 'A Gaussian random walk of 512 daily points from 2023-01-01: no seasonality or repetition, a control.',
    content: csv('date,value', rows),
  };
}

/** A weekly-seasonal daily series with missing values written with assorted missing markers. */
function gaps(): Sample {
  const rng = new Rng(99);
  const start = Date.UTC(2022, 0, 1);
  const markers = ['', 'NA', 'NaN', 'null', '?', '-'];
  const rows: string[] = [];
  for (let d = 0; d < 365; d++) {
    const v = 20 + 6 * Math.sin((2 * Math.PI * d) / 7) + 0.02 * d + rng.normal();
    const inRun = d >= 200 && d < 205; // a five-day outage
    const missing = inRun || rng.nextFloat() < 0.08;
    const cell = missing ? markers[rng.intInclusive(0, markers.length - 1)] : v.toFixed(2);
    rows.push(`${isoDate(start + d * DAY)},${cell}`);
  }
  return {
    file: 'gaps.csv',
    description: 'A daily series for 2022 (365 rows) with weekly seasonality and about 8% missing values plus a 5-day outage, written with assorted missing markers (empty, NA, NaN, null, ?, -).',
    content: csv('date,value', rows),
  };
}

export function generateSamples(): Sample[] {
  return [periodic(), motif(), hourly(), monthly(), randomWalk(), gaps(), building()];
}

export function readme(samples: Sample[]): string {
  const lines = samples.map((s) => `- \`${s.file}\`: ${s.description}`);
  return (
    '# Samples\n\n' +
    'Small CSVs for trying Chronos Lens. Generated deterministically by `tools/samples/generate.ts`\n' +
    '(`npm run samples`); do not edit them by hand.\n\n' +
    `${lines.join('\n')}\n`
  );
}

/** All files the generator writes, by name (the samples and README.md). */
export function sampleFiles(): Map<string, string> {
  const samples = generateSamples();
  const files = new Map(samples.map((s) => [s.file, s.content]));
  files.set('README.md', readme(samples));
  return files;
}

function main(argv: string[]): void {
  const i = argv.indexOf('--out');
  const out = i >= 0 && argv[i + 1] ? path.resolve(argv[i + 1]) : path.resolve(__dirname, '..', '..', 'samples');
  fs.mkdirSync(out, { recursive: true });
  for (const [name, content] of sampleFiles()) {
    // Write a temp file next to the target, then rename: never a half-written sample.
    const target = path.join(out, name);
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, content);
    fs.renameSync(tmp, target);
    console.log(`${path.relative(process.cwd(), target)} (${Buffer.byteLength(content)} bytes)`);
  }
}

if (require.main === module) main(process.argv.slice(2));
