/** The text form of a periodicity result, for `lens --periodicity` on every family. */
import { PeriodicityResult } from '../../analysis/types';

export function periodicityText(p: PeriodicityResult): string {
  const s = p.headScores;
  // Over patches the heads are scored at lags of k * (period / stride) patches, the nearest patch to each multiple.
  const lag = s.lag === undefined ? `k*${s.period} (±1)` : `k*${Number(s.lag.toFixed(3))} patches (period ${s.period} values, nearest patch)`;
  const out = [
    '',
    `periods: ${p.periods.length ? p.periods.map((x) => `${x.period} (acf ${x.strength.toFixed(2)})`).join(', ') : 'none detected'}`,
    `encoder heads at lags ${lag}: attention mass / uniform head = ratio${p.spectrum ? `; spectrum at 1/${s.lag ?? s.period}` : ''}`,
  ];
  for (let l = 0; l < s.mass.length; l++) {
    out.push(`L${l}  ${s.mass[l].map((m, h) => `H${h} ${m.toFixed(3)}/${s.uniform[l][h].toFixed(3)}=${s.ratio[l][h].toFixed(2)}${p.spectrum ? ` sp ${p.spectrum[l][h].toFixed(2)}` : ''}`).join('  ')}`);
  }
  return out.join('\n') + '\n';
}
