/**
 * Single-head ablation effects: for every head, the change of the induction loss (mean cross-entropy of
 * the continuation of a repeated random sequence) when that head alone is zero-ablated; the yardstick
 * `chronos-lens heads --ablation-effects` ranks the weight statistics against.
 */
import { RunControl, throwIfAborted } from '../../core/progress';
import { ensureFits, repeated } from '../../core/limits';
import { ChronosModel } from '../../models/model';
import { InductionLossOptions, inductionBatch, inductionLoss, inductionNeed, inductionShape } from '../ablation';
import { ATTENTION_KINDS, HeadRef } from '../types';

export interface HeadEffect extends HeadRef {
  /** Induction loss with the head zero-ablated minus the unablated loss (nats). */
  effect: number;
}

export async function singleHeadEffects(model: ChronosModel, opts: RunControl & { induction?: InductionLossOptions } = {}): Promise<{ unablated: number; effects: HeadEffect[] }> {
  const t = model.config.t5;
  const heads: HeadRef[] = [];
  for (const kind of ATTENTION_KINDS) {
    const layers = kind === 'encoder' ? t.numLayers : t.numDecoderLayers;
    for (let l = 0; l < layers; l++) for (let h = 0; h < t.numHeads; h++) heads.push({ kind, layer: l, head: h });
  }
  ensureFits(`single-head ablation of ${heads.length} heads`, repeated(inductionNeed(t, inductionShape(opts.induction ?? {})).need, heads.length + 1), ['batch', 'seqLen', 'repeats']);
  const batch = inductionBatch(model, opts.induction ?? {});
  const base = (await inductionLoss(model, batch)).repeated;
  const effects: HeadEffect[] = [];
  for (let i = 0; i < heads.length; i++) {
    throwIfAborted(opts.signal);
    const h = heads[i];
    const loss = (await inductionLoss(model, batch, model.newAblation().zero(h.kind, h.layer, h.head))).repeated;
    effects.push({ ...h, effect: loss - base });
    opts.onProgress?.({ fraction: (i + 1) / heads.length, message: `${h.kind}:L${h.layer}.H${h.head}` });
  }
  return { unablated: base, effects };
}
