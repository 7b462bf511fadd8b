/**
 * The hourly series the forecast benchmarks read (600 rows: daily and weekly seasonality, a slow trend
 * and deterministic noise), written once into the bench's work folder so every script times the same data.
 */
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function seriesCsv(work: string): string {
  const file = path.join(work, 'series.csv');
  if (!existsSync(file)) {
    const rows = ['date,value'];
    const t0 = Date.UTC(2020, 0, 1);
    for (let i = 0; i < 600; i++) {
      const v = 100 + 10 * Math.sin((2 * Math.PI * i) / 24) + 4 * Math.sin((2 * Math.PI * i) / 168) + 0.05 * i + 3 * Math.sin(i * 12.9898);
      rows.push(`${new Date(t0 + i * 3600e3).toISOString().slice(0, 19).replace('T', ' ')},${v.toFixed(3)}`);
    }
    writeFileSync(file, rows.join('\n') + '\n');
  }
  return file;
}
