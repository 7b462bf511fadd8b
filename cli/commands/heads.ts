/**
 * chronos-lens heads: weight-only statistics of every attention head (stable rank, Frobenius and
 * spectral norms of its QK and OV matrices), no inference; with --mosaic, each statistic's Spearman
 * agreement with a saved induction mosaic's scores.
 */
import { promises as fsp } from 'node:fs';
import { ChronosLensError } from '../../core/errors';
import { HeadWeightResult, HeadWeightStats, headWeightStats, spearman } from '../../analysis/causal/stable-rank';
import { HeadEffect, singleHeadEffects } from '../../analysis/causal/head-effects';
import { ATTENTION_KINDS, AttentionKind } from '../../analysis/types';
import { CliIO, MODEL_OPTIONS, intFlag, loadModelFromFlags, parse, printJson } from '../common';
import { defaultModelDir } from '../paths';

export const usage = `chronos-lens heads [--mosaic FILE.json] [--ablation-effects [--batch N]] [--sort qk|ov] [--json] [--model DIR]

Weight-only head ranking: for each attention head (cross, encoder and decoder self-attention), the
stable rank ||W||_F^2 / ||W||_2^2, the Frobenius norm and the spectral norm of its QK matrix
W_Q,h W_K,h^T and its OV matrix W_V,h W_O,h. Nothing is run through the model. Heads are listed by
ascending stable rank (the most low-rank, specialised, first).

Options:
  --sort qk|ov      which stable rank orders the list (default qk)
  --mosaic FILE     a saved induction mosaic (chronos-lens mosaic --out FILE.json, or a
                    tools/reference mosaic fixture): adds the Spearman correlation between each
                    statistic and the mosaic score max(center, right), per attention kind
  --ablation-effects  also zero-ablate each head alone and measure the change of the induction loss
                    (--batch N sequences, default 100); adds each statistic's Spearman correlation
                    with those effects, per kind and over all heads
  --json            print the result as JSON
  --model DIR       Chronos checkpoint folder (default: the bundled chronos-t5-nano)`;

interface MosaicScores {
  [kind: string]: { center: number[][]; right: number[][] } | undefined;
}

export interface Agreement {
  kind: AttentionKind | 'all';
  heads: number;
  /** Spearman of each statistic against the mosaic score max(center, right). */
  qkStableRank: number;
  ovStableRank: number;
  qkSpectral: number;
  ovSpectral: number;
}

/** Spearman agreement of the weight statistics with a mosaic's scores, for each kind both cover. */
export function mosaicAgreement(r: HeadWeightResult, mosaic: MosaicScores): Agreement[] {
  const out: Agreement[] = [];
  for (const kind of ATTENTION_KINDS) {
    const m = mosaic[kind];
    if (!m || !Array.isArray(m.center) || !Array.isArray(m.right)) continue;
    const stats = r.stats.filter((s) => s.kind === kind);
    const score = stats.map((s) => {
      const c = m.center[s.layer]?.[s.head];
      const rt = m.right[s.layer]?.[s.head];
      if (typeof c !== 'number' || typeof rt !== 'number') throw new ChronosLensError('BAD_INPUT', `the mosaic has no ${kind} score for L${s.layer}.H${s.head} (was it computed with another model?)`);
      return Math.max(c, rt);
    });
    const col = (f: (s: HeadWeightStats) => number) => spearman(stats.map(f), score);
    out.push({ kind, heads: stats.length, qkStableRank: col((s) => s.qk.stableRank), ovStableRank: col((s) => s.ov.stableRank), qkSpectral: col((s) => s.qk.spectral), ovSpectral: col((s) => s.ov.spectral) });
  }
  return out;
}

/** Spearman agreement of the weight statistics with single-head ablation effects, per kind and over all heads. */
export function effectAgreement(r: HeadWeightResult, effects: HeadEffect[]): Agreement[] {
  const key = (h: { kind: string; layer: number; head: number }) => `${h.kind}:${h.layer}:${h.head}`;
  const byHead = new Map(effects.map((e) => [key(e), e.effect]));
  const out: Agreement[] = [];
  for (const kind of ['cross', 'encoder', 'decoder', 'all'] as const) {
    const stats = r.stats.filter((s) => kind === 'all' || s.kind === kind);
    const eff = stats.map((s) => byHead.get(key(s))!);
    const col = (f: (s: HeadWeightStats) => number) => spearman(stats.map(f), eff);
    out.push({ kind, heads: stats.length, qkStableRank: col((s) => s.qk.stableRank), ovStableRank: col((s) => s.ov.stableRank), qkSpectral: col((s) => s.qk.spectral), ovSpectral: col((s) => s.ov.spectral) });
  }
  return out;
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...MODEL_OPTIONS, mosaic: { type: 'string' }, sort: { type: 'string' }, json: { type: 'boolean' }, 'ablation-effects': { type: 'boolean' }, batch: { type: 'string' } });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length) throw new ChronosLensError('BAD_INPUT', `heads takes no positional arguments, got ${positionals.join(' ')}`);
  const sort = values.sort ?? 'qk';
  if (sort !== 'qk' && sort !== 'ov') throw new ChronosLensError('BAD_INPUT', `--sort must be qk or ov, got "${values.sort}"`);
  if (values.batch !== undefined && !values['ablation-effects']) throw new ChronosLensError('BAD_INPUT', '--batch goes with --ablation-effects');
  const batch = intFlag(values.batch, 'batch', 'inductionBatch');
  let mosaic: MosaicScores | undefined;
  if (values.mosaic) {
    try {
      mosaic = JSON.parse(await fsp.readFile(values.mosaic, 'utf8')) as MosaicScores;
    } catch (e) {
      throw new ChronosLensError('BAD_INPUT', `--mosaic ${values.mosaic}: cannot read a mosaic result (${(e as Error).message})`);
    }
    if (!mosaic || typeof mosaic !== 'object' || !ATTENTION_KINDS.some((k) => mosaic![k])) throw new ChronosLensError('BAD_INPUT', `--mosaic ${values.mosaic}: no cross, encoder or decoder scores in it`);
  }
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, io);
  try {
    const r = await headWeightStats(model.checkpoint, { signal: io.signal });
    const agreement = mosaic ? mosaicAgreement(r, mosaic) : undefined;
    const ablation = values['ablation-effects'] ? await singleHeadEffects(model, { induction: { batch: batch ?? 100 }, signal: io.signal }) : undefined;
    const effectAgree = ablation ? effectAgreement(r, ablation.effects) : undefined;
    const ordered = [...r.stats].sort((a, b) => a[sort].stableRank - b[sort].stableRank);
    if (values.json) {
      printJson(io, { ...r, sort, ranking: ordered.map((s) => `${s.kind}:L${s.layer}.H${s.head}`), ...(agreement ? { agreement } : {}), ...(ablation ? { ablation: { ...ablation, agreement: effectAgree } } : {}) });
      return 0;
    }
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
    const lines = [
      `${r.model} · ${r.stats.length} heads · d_model ${r.dModel}, d_kv ${r.dKv} · sorted by ${sort.toUpperCase()} stable rank`,
      `${'head'.padEnd(18)}${'QK srank'.padStart(10)}${'QK ‖·‖₂'.padStart(10)}${'OV srank'.padStart(10)}${'OV ‖·‖₂'.padStart(10)}`,
      ...ordered.map((s) => `${`${s.kind}:L${s.layer}.H${s.head}`.padEnd(18)}${f(s.qk.stableRank).padStart(10)}${f(s.qk.spectral).padStart(10)}${f(s.ov.stableRank).padStart(10)}${f(s.ov.spectral).padStart(10)}`),
    ];
    if (agreement) {
      lines.push('', 'Spearman with the mosaic score max(center, right):');
      for (const a of agreement) lines.push(`  ${a.kind.padEnd(8)} (${a.heads} heads)  QK srank ${f(a.qkStableRank)}  OV srank ${f(a.ovStableRank)}  QK ‖·‖₂ ${f(a.qkSpectral)}  OV ‖·‖₂ ${f(a.ovSpectral)}`);
    }
    if (ablation && effectAgree) {
      lines.push('', `Spearman with the single-head zero-ablation effect on the induction loss (unablated ${f(ablation.unablated)} nats):`);
      for (const a of effectAgree) lines.push(`  ${a.kind.padEnd(8)} (${a.heads} heads)  QK srank ${f(a.qkStableRank)}  OV srank ${f(a.ovStableRank)}  QK ‖·‖₂ ${f(a.qkSpectral)}  OV ‖·‖₂ ${f(a.ovSpectral)}`);
    }
    io.stdout.write(lines.join('\n') + '\n');
    return 0;
  } finally {
    await model.dispose();
  }
}
