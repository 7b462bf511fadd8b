/**
 * Per-layer forecast lens ("logit lens") for Chronos-T5: the decoder residual after each layer, read out
 * through the final RMS norm (its own scale, not frozen) and the LM head, as a forecast per layer.
 * The decoder is teacher-forced on the full model's median path for `steps` steps, so every layer is
 * read at the same positions; each position's value distribution (softmax over the value tokens,
 * renormalised) gives quantiles (the bin centre where the cumulative probability first reaches the
 * level, times the context's scale), the mean, and the KL divergence to the last layer's distribution,
 * which shows at which depth the forecast settles. The last layer's lens is the model's own forecast.
 */
import { RunControl, throwIfAborted } from '../../core/progress';
import { ChronosModel } from '../../models/model';
import { builderVersion, checkInt, makeManifest, modelSummary } from '../common';
import { LayerLensLayer, LayerLensResult } from '../types';
// The result types live with the other result types (the webviews read them); re-exported for this module's users.
export type { LayerLensLayer, LayerLensResult } from '../types';
import { medianPath, quantileToken, rowsOf, runCausal, seriesContext, valueDistribution } from './run';
import { ChronosLensError } from '../../core/errors';
import { ensureFits, forwardRowNeed, together, typedNeed } from '../../core/limits';
import { BoltModel } from '../../models/bolt/model';
import { denormalise } from '../../models/patching';
import { readBoltReadout, readOut, residualPass } from './bolt-readout';

/** The forecast's default quantile levels. */
export const LENS_QUANTILE_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

export interface LayerLensOptions extends RunControl {
  values: ArrayLike<number>;
  label: string;
  /** Forecast steps (default: the model's prediction length). */
  steps?: number;
  quantileLevels?: number[];
}

export async function layerLens(model: ChronosModel, opts: LayerLensOptions): Promise<LayerLensResult> {
  const t = model.config.t5;
  const cc = model.config.chronos;
  const V = t.vocabSize;
  const L = t.numDecoderLayers;
  const steps = checkInt('steps', opts.steps ?? cc.predictionLength, 1, cc.predictionLength);
  const levels = opts.quantileLevels ?? LENS_QUANTILE_LEVELS;
  for (const q of levels) if (!(q > 0 && q <= 1)) throw new ChronosLensError('BAD_INPUT', `quantile levels must be in (0, 1], got ${q}`);
  const ctx = seriesContext(model, opts.values, opts.label);
  // One teacher-forced row with every layer's logits, and a float64 distribution per layer and step.
  ensureFits('the per-layer lens', together(forwardRowNeed(t, { encLen: ctx.ids.length, decLen: steps, logits: true }), typedNeed(L * steps * V, 4 + 8)), ['steps']);
  const path = await medianPath(model, ctx, steps);
  throwIfAborted(opts.signal);
  const dec = [t.decoderStartTokenId, ...path.slice(0, steps - 1)];
  const r = await runCausal(model, { encoder: rowsOf([ctx.ids]), mask: rowsOf([ctx.mask]), decoder: rowsOf([dec]) }, { lens: true });
  const first = cc.nSpecialTokens;
  const centre = (v: number) => model.tokenizer.centerOf(v) * ctx.scale;
  const dists = Array.from({ length: L }, (_, l) => Array.from({ length: steps }, (_, s) => valueDistribution(model, r[`lens_logits.${l}`].data, s * V)));
  const layers: LayerLensLayer[] = dists.map((per, l) => ({
    layer: l,
    quantiles: levels.map((q) => per.map((p) => centre(quantileToken(p, q, first)))),
    mean: per.map((p) => {
      let m = 0;
      for (let v = first; v < V; v++) m += p[v] * model.tokenizer.centerOf(v);
      return m * ctx.scale;
    }),
    klToFinal: per.map((p, s) => {
      const f = dists[L - 1][s];
      let kl = 0;
      for (let v = first; v < V; v++) if (f[v] > 0) kl += f[v] * (Math.log(f[v]) - Math.log(Math.max(p[v], 1e-300)));
      return kl;
    }),
  }));
  return {
    model: await modelSummary(model),
    steps,
    quantileLevels: levels,
    scale: ctx.scale,
    path,
    pathValues: path.map(centre),
    layers,
    manifest: await makeManifest(model, 'layer-lens', {}, { label: opts.label, steps, quantileLevels: levels }),
  };
}

export interface BoltLayerLensOptions extends RunControl {
  values: ArrayLike<number>;
  label: string;
}

/**
 * The per-layer lens of Chronos-Bolt: the decoder token's residual after each decoder layer read out as if
 * it were the last, through the final RMS norm (its own scale) and the quantile head (run as is,
 * analysis/causal/bolt-readout.ts), then the instance norm undone: a forecast fan (every level of the
 * model, every step of prediction_length) per layer. The last layer's is the model's own forecast. Bolt's
 * head gives quantiles, not a distribution, so the distance to the last layer is `gapToFinal`: per step,
 * the mean over levels of |this layer's quantile - the last layer's| in series units.
 */
export async function layerLensBolt(model: BoltModel, opts: BoltLayerLensOptions): Promise<LayerLensResult> {
  const t = model.config.t5;
  const b = model.config.bolt;
  const L = t.numDecoderLayers;
  const T = b.predictionLength;
  const levels = b.quantiles;
  const mid = levels.indexOf(0.5);
  const r = await residualPass(model, opts.values, opts.label, {}, 'the per-layer lens', L * levels.length * T * 8);
  throwIfAborted(opts.signal);
  const norm = r.rows[0].norm;
  const head = await readBoltReadout(model);
  const fans = Array.from({ length: L }, (_, l) => {
    const out = readOut(head, r.decoderResid![3 * l + 3].data);
    return levels.map((_, q) => Array.from({ length: T }, (_, s) => denormalise(out[q * T + s], norm)));
  });
  const last = fans[L - 1];
  const layers: LayerLensLayer[] = fans.map((quantiles, l) => ({
    layer: l,
    quantiles,
    // the pipeline's mean is its median
    mean: mid >= 0 ? quantiles[mid] : quantiles[0].map((_, s) => quantiles.reduce((a, q) => a + q[s], 0) / levels.length),
    gapToFinal: quantiles[0].map((_, s) => quantiles.reduce((a, q, i) => a + Math.abs(q[s] - last[i][s]), 0) / levels.length),
  }));
  return {
    model: await modelSummary(model),
    steps: T,
    quantileLevels: levels,
    scale: norm.scale,
    path: [],
    pathValues: layers[L - 1].mean,
    layers,
    manifest: await makeManifest(model, 'layer-lens', {}, { label: opts.label, steps: T, quantileLevels: levels }, builderVersion(model)),
  };
}
