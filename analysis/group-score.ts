/**
 * The group-attention score of Chronos-2's heads (docs/chronos2.md), on a user's task or on a synthetic
 * pair where one series leads the other: `Chronos2Lens.groupScore` (analysis/lens.ts) over one forward
 * pass of the task's rows, as the attention lens runs it.
 *
 * The synthetic pair: a seeded smooth series s (a random walk through a few sinusoids), the "leader"
 * x_t = s_{t+k} and the "follower" y_t = s_t, so the leader shows every movement k steps before the
 * follower does; both are targets of one group. A head that carries cross-series information should
 * read more from the leader on the follower's row than the other way round.
 */
import { ChronosLensError } from '../core/errors';
import { checkBound } from '../core/limits';
import { Rng } from '../core/rng';
import { Chronos2Model } from '../models/chronos2/model';
import { Chronos2Task } from './forecast/chronos2';
import { AttentionLens, Chronos2LensOptions } from './lens';
import { GroupScoreResult } from './types';

export interface LeadPairOptions {
  /** Values per series. */
  length: number;
  /** Steps the leader is ahead of the follower (1 .. length - 1). */
  lead: number;
  seed?: number;
}

/** The synthetic pair as a task: targets follower, leader (in that order). */
export function leadPairTask(o: LeadPairOptions): Chronos2Task {
  const length = checkBound('seqLen', o.length, 'the synthetic series length');
  if (!Number.isInteger(o.lead) || o.lead < 1 || o.lead >= length) throw new ChronosLensError('BAD_INPUT', `the lead must be an integer in [1, ${length - 1}] (shorter than the series), got ${o.lead}`);
  const rng = new Rng(checkBound('seed', o.seed ?? 0, 'seed'));
  const n = length + o.lead;
  const phase = [rng.nextFloat(), rng.nextFloat(), rng.nextFloat()].map((u) => 2 * Math.PI * u);
  const s = new Float32Array(n);
  let walk = 0;
  for (let t = 0; t < n; t++) {
    walk += 0.3 * rng.normal();
    s[t] = 10 + walk + 3 * Math.sin((2 * Math.PI * t) / 24 + phase[0]) + 2 * Math.sin((2 * Math.PI * t) / 9 + phase[1]) + Math.sin((2 * Math.PI * t) / 5 + phase[2]);
  }
  return {
    targets: [
      { name: 'follower', values: s.slice(0, length) },
      { name: 'leader', values: s.slice(o.lead, o.lead + length) },
    ],
    pastCovariates: [],
    futureCovariates: [],
  };
}

/** The group-attention score of every head on `task` (one forward pass, as the lens runs it). */
export async function groupScore(model: Chronos2Model, task: Chronos2Task, opts: Chronos2LensOptions = {}): Promise<GroupScoreResult> {
  const n = task.targets.length + (task.pastCovariates?.length ?? 0) + (task.futureCovariates?.length ?? 0);
  if (n < 2) throw new ChronosLensError('BAD_INPUT', 'the group-attention score needs at least two series (several targets, or a target and covariates): one series alone only reads itself');
  if (opts.groupAttention === false) throw new ChronosLensError('BAD_INPUT', 'the group-attention score needs group attention on');
  const lens = await AttentionLens.computeChronos2(model, task, opts);
  return lens.groupScore();
}
