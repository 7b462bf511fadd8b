/**
 * BoltModel: a loaded Chronos-Bolt checkpoint. Series go in as numbers (NaN = missing); the model
 * normalises and patches them (models/patching.ts), runs its graph (models/bolt/graph.ts) through the
 * shared sessions and graph cache, and returns the quantile head's output, in normalised units and in
 * the series' units, with whatever attentions and head outputs were asked for.
 *
 *   const model = await BoltModel.load(dir, { provider: 'auto', cacheDir });
 *   const r = await model.forward([series], { quantiles: true, crossAttentions: true });
 *   await model.dispose();
 */
import { ChronosLensError } from '../../core/errors';
import { FloatTensor } from '../../core/tensor';
import { Checkpoint, loadCheckpoint } from '../checkpoint';
import { LoadOptions, LoadedModel, stackOutputs, withDefaultCacheDir } from '../loaded-model';
import { HeadAblation } from '../model';
import { PatchedRow, denormalise, patchRows } from '../patching';
import { AttentionKind } from '../t5/graph';
import { BOLT_CHECKPOINT } from './checkpoint';
import { BoltModelConfig } from './config';
import { BoltGraphSpec, BoltOutputs, boltSpecKey, buildBoltGraph } from './graph';

/** Bump whenever the Bolt graphs built for a checkpoint change, so cached graphs are rebuilt. */
export const BOLT_BUILDER_VERSION = 'bolt-2';

/** One series as the encoder sees it. */
export type BoltRow = PatchedRow;

export interface BoltForwardResult {
  rows: BoltRow[];
  /** Patches per row (the same for every row of a batch); the encoder length adds 1 with [REG]. */
  patches: number;
  encLen: number;
  /** [batch, quantiles, prediction_length] in normalised units. */
  normalizedQuantiles?: FloatTensor;
  /** [batch, quantiles, prediction_length] in the series' units (loc + scale x normalised). */
  quantiles?: FloatTensor;
  encoderHidden?: FloatTensor;
  /** Per layer, [batch, heads, queries, keys]. */
  encoderAttentions?: FloatTensor[];
  decoderAttentions?: FloatTensor[];
  crossAttentions?: FloatTensor[];
  /** Per kind and layer, [batch, heads, positions, d_kv]. */
  headOutputs?: Partial<Record<AttentionKind, FloatTensor[]>>;
  /** With `residuals`: the encoder's residual stream, 2 x layers + 1 tensors [batch, enc_len, d_model] (see BoltOutputs). */
  encoderResid?: FloatTensor[];
  /** With `residuals`: the decoder token's residual stream, 3 x layers + 1 tensors [batch, 1, d_model]. */
  decoderResid?: FloatTensor[];
}

export class BoltModel extends LoadedModel<BoltModelConfig, BoltGraphSpec> {
  readonly family = 'chronos-bolt' as const;
  private readonly noAblation: HeadAblation;

  private constructor(checkpoint: Checkpoint<BoltModelConfig>, options: LoadOptions) {
    super(checkpoint, options, { builderVersion: BOLT_BUILDER_VERSION, key: boltSpecKey, build: (spec) => buildBoltGraph(checkpoint, spec) });
    this.noAblation = this.newAblation();
  }

  static async load(dir: string, options: LoadOptions = {}): Promise<BoltModel> {
    const ck = await loadCheckpoint(dir, BOLT_CHECKPOINT);
    return new BoltModel(ck, withDefaultCacheDir(options));
  }

  /** A head ablation of this model's shape (every head kept). */
  newAblation(): HeadAblation {
    const t = this.config.t5;
    return new HeadAblation({ encoder: t.numLayers, decoder: t.numDecoderLayers, cross: t.numDecoderLayers }, t.numHeads, t.dKv);
  }

  /**
   * The rows of a batch as the model sees them: each series' last context_length values, left-padded
   * with NaN to the longest (as the pipeline stacks a list of series), normalised and patched.
   */
  prepare(series: ArrayLike<number>[]): BoltRow[] {
    const b = this.config.bolt;
    return patchRows(series, b.contextLength, b.inputPatchSize, b.inputPatchStride);
  }

  /** One forward pass over a batch of series (see prepare); `outputs` picks what comes back. */
  async forward(series: ArrayLike<number>[], outputs: BoltOutputs, ablation?: HeadAblation): Promise<BoltForwardResult> {
    const rows = this.prepare(series);
    const b = this.config.bolt;
    const B = rows.length;
    const P = rows[0].patched.patches;
    const width = 2 * b.inputPatchSize;
    const encLen = P + (b.useRegToken ? 1 : 0);
    if (P === 0) throw new ChronosLensError('BAD_INPUT', `the context is shorter than one patch (${b.inputPatchSize} values)`);
    const patches = new Float32Array(B * P * width);
    const mask = new BigInt64Array(B * encLen);
    rows.forEach((r, i) => {
      patches.set(r.patched.data, i * P * width);
      for (let p = 0; p < P; p++) mask[i * encLen + p] = BigInt(r.patched.observed[p]);
      if (b.useRegToken) mask[i * encLen + P] = 1n;
    });
    const session = await this.session({ kind: 'bolt-forward', outputs });
    const r = await session.run({
      patches: { data: patches, dims: [B, P, width] },
      attention_mask: { data: mask, dims: [B, encLen] },
      ...(ablation ?? this.noAblation).feedsFor(this.config.t5),
    });
    const res: BoltForwardResult = { rows, patches: P, encLen, encoderHidden: r.encoder_hidden, ...stackOutputs(r, this.config.t5) };
    if (outputs.residuals) {
      const t = this.config.t5;
      res.encoderResid = Array.from({ length: 2 * t.numLayers + 1 }, (_, i) => r[`enc_resid.${i}`]);
      res.decoderResid = Array.from({ length: 3 * t.numDecoderLayers + 1 }, (_, i) => r[`dec_resid.${i}`]);
    }
    if (r.quantile_preds) {
      const q = r.quantile_preds;
      res.normalizedQuantiles = q;
      const per = q.data.length / B;
      const out = new Float32Array(q.data.length);
      rows.forEach((row, i) => {
        for (let j = 0; j < per; j++) out[i * per + j] = denormalise(q.data[i * per + j], row.norm);
      });
      res.quantiles = { data: out, dims: q.dims };
    }
    return res;
  }

}
