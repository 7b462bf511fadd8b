/**
 * Chronos2Model: a loaded Chronos-2 checkpoint. A batch is a set of rows (series) with a group id
 * each: rows of one group (targets and their covariates) read each other through group attention,
 * rows of different groups never do. Each row may carry known future values (its future covariates;
 * NaN where unknown). The model normalises and patches the rows (models/patching.ts, with arcsinh),
 * adds the time encoding, runs its graph (models/chronos2/graph.ts) through the shared sessions and
 * graph cache, and returns the quantile head's output for every row, in normalised units and in the
 * row's units, with whatever attentions and head outputs were asked for.
 *
 *   const model = await Chronos2Model.load(dir, { provider: 'auto', cacheDir });
 *   const r = await model.forward({ rows: [target, covariate], groupIds: [0, 0], outputPatches: 1 }, { quantiles: true });
 *   await model.dispose();
 */
import { ChronosLensError } from '../../core/errors';
import { FloatTensor } from '../../core/tensor';
import { Checkpoint, loadCheckpoint } from '../checkpoint';
import { LoadOptions, LoadedModel, withDefaultCacheDir } from '../loaded-model';
import { mergeLora } from '../lora';
import { PatchedRow, denormalise, normalise, patchRows } from '../patching';
import { CHRONOS2_CHECKPOINT } from './checkpoint';
import { Chronos2ModelConfig } from './config';
import { CHRONOS2_ATTENTION_KINDS, Chronos2AttentionKind, Chronos2GraphSpec, Chronos2Outputs, buildChronos2Graph, chronos2SpecKey } from './graph';

/** Bump whenever the Chronos-2 graphs built for a checkpoint change, so cached graphs are rebuilt. */
export const CHRONOS2_BUILDER_VERSION = 'chronos2-1';

/** The sublayers of an encoder block, in order: their columns of `layer_skip`. */
export const CHRONOS2_SUBLAYERS = ['time', 'group', 'ff'] as const;
export type Chronos2Sublayer = (typeof CHRONOS2_SUBLAYERS)[number];

export interface Chronos2Input {
  /** One series per row (NaN = missing); the last context_length values of each are used. */
  rows: ArrayLike<number>[];
  /** A group id per row (default: every row its own group, as the model's default). */
  groupIds?: number[];
  /** Per row, values known over the horizon (NaN or absent where unknown), at most outputPatches x patch_size. */
  future?: (ArrayLike<number> | undefined)[];
  /** Output patches to predict: 1 .. max_output_patches is what the model was trained for. */
  outputPatches: number;
}

export interface Chronos2ForwardResult {
  rows: PatchedRow[];
  /** Context patches per row (the same for every row); tokens = contextPatches (+ 1 [REG]) + outputPatches. */
  contextPatches: number;
  outputPatches: number;
  tokens: number;
  /** Index of the first output-patch token. */
  firstOutputToken: number;
  groupIds: number[];
  /** [rows, quantiles, outputPatches x patch_size] in normalised units (before sinh). */
  normalizedQuantiles?: FloatTensor;
  /** [rows, quantiles, outputPatches x patch_size] in each row's units. */
  quantiles?: FloatTensor;
  encoderHidden?: FloatTensor;
  /** Per layer [rows, heads, tokens, tokens]. */
  timeAttentions?: FloatTensor[];
  /** Per layer [tokens, heads, rows, rows]. */
  groupAttentions?: FloatTensor[];
  /** Per kind and layer: time [rows, heads, tokens, d_kv], group [tokens, heads, rows, d_kv]. */
  headOutputs?: Partial<Record<Chronos2AttentionKind, FloatTensor[]>>;
}

/**
 * Interventions on a Chronos-2 forward pass: heads of the time or group attention zeroed or replaced by
 * a fixed output (mean ablation), and whole sublayers skipped. Fed to the graph's head gates and
 * `layer_skip`, so no rebuild is needed.
 */
export class Chronos2Ablation {
  readonly mask: Record<Chronos2AttentionKind, Float32Array>;
  readonly repl: Record<Chronos2AttentionKind, Float32Array>;
  /** [layers x (time, group, ff)], 1 = skipped. */
  readonly layerSkip: Float32Array;

  constructor(readonly layers: number, readonly heads: number, readonly dKv: number) {
    this.mask = { time: new Float32Array(layers * heads).fill(1), group: new Float32Array(layers * heads).fill(1) };
    this.repl = { time: new Float32Array(layers * heads * dKv), group: new Float32Array(layers * heads * dKv) };
    this.layerSkip = new Float32Array(layers * 3);
  }

  private check(kind: Chronos2AttentionKind, layer: number, head: number): void {
    if (!CHRONOS2_ATTENTION_KINDS.includes(kind)) throw new ChronosLensError('BAD_INPUT', `a Chronos-2 model has time and group attention heads, not "${kind}"`);
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers) throw new ChronosLensError('BAD_INPUT', `${kind} layer ${layer} does not exist (the model has ${this.layers} layers, numbered from 0)`);
    if (!Number.isInteger(head) || head < 0 || head >= this.heads) throw new ChronosLensError('BAD_INPUT', `head ${head} does not exist (the model has ${this.heads} heads per layer, numbered from 0)`);
  }

  /** Zero-ablates a head: its output becomes 0. */
  zero(kind: Chronos2AttentionKind, layer: number, head: number): this {
    return this.replace(kind, layer, head, new Float32Array(this.dKv));
  }

  /** Mean-ablates a head: its output becomes `value` (length d_kv) at every position. */
  replace(kind: Chronos2AttentionKind, layer: number, head: number, value: ArrayLike<number>): this {
    this.check(kind, layer, head);
    if (value.length !== this.dKv) throw new ChronosLensError('BAD_INPUT', `replacement for ${kind} L${layer}.H${head} has ${value.length} values; expected d_kv = ${this.dKv}`);
    this.mask[kind][layer * this.heads + head] = 0;
    this.repl[kind].set(value, (layer * this.heads + head) * this.dKv);
    return this;
  }

  /** Skips a sublayer of a layer, or the whole layer ('all'): its residual update is dropped. */
  skipLayer(layer: number, part: Chronos2Sublayer | 'all'): this {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.layers) throw new ChronosLensError('BAD_INPUT', `layer ${layer} does not exist (the model has ${this.layers} layers, numbered from 0)`);
    for (const [j, s] of CHRONOS2_SUBLAYERS.entries()) if (part === 'all' || part === s) this.layerSkip[layer * 3 + j] = 1;
    return this;
  }

  get isIdentity(): boolean {
    return this.mask.time.every((m) => m === 1) && this.mask.group.every((m) => m === 1) && this.layerSkip.every((m) => m === 0);
  }

  feeds(): Record<string, FloatTensor> {
    const out: Record<string, FloatTensor> = {};
    for (const k of CHRONOS2_ATTENTION_KINDS) {
      out[`${k}_head_mask`] = { data: this.mask[k], dims: [this.layers, this.heads] };
      out[`${k}_head_repl`] = { data: this.repl[k], dims: [this.layers, this.heads, this.dKv] };
    }
    out.layer_skip = { data: this.layerSkip, dims: [this.layers, 3] };
    return out;
  }
}

export class Chronos2Model extends LoadedModel<Chronos2ModelConfig, Chronos2GraphSpec> {
  readonly family = 'chronos-2' as const;
  private readonly noAblation: Chronos2Ablation;

  private constructor(checkpoint: Checkpoint<Chronos2ModelConfig>, options: LoadOptions) {
    super(checkpoint, options, { builderVersion: CHRONOS2_BUILDER_VERSION, key: chronos2SpecKey, build: (spec) => buildChronos2Graph(checkpoint, spec) });
    this.noAblation = this.newAblation();
  }

  /** Opens a Chronos-2 checkpoint folder; with `options.adapter`, that LoRA adapter merged into its weights. */
  static async load(dir: string, options: LoadOptions = {}): Promise<Chronos2Model> {
    const ck = await loadCheckpoint(dir, CHRONOS2_CHECKPOINT);
    return new Chronos2Model(options.adapter ? mergeLora(ck, options.adapter) : ck, withDefaultCacheDir(options));
  }

  /** An ablation of this model's shape (every head and sublayer kept). */
  newAblation(): Chronos2Ablation {
    const t = this.config.t5;
    return new Chronos2Ablation(t.numLayers, t.numHeads, t.dKv);
  }

  /** The rows as the model sees them: the last context_length values, left-padded, normalised (arcsinh) and patched. */
  prepare(rows: ArrayLike<number>[]): PatchedRow[] {
    const x = this.config.chronos2;
    return patchRows(rows, x.contextLength, x.patchSize, x.patchSize, x.useArcsinh);
  }

  /** One forward pass over a batch of rows (see Chronos2Input); `outputs` picks what comes back. */
  async forward(input: Chronos2Input, outputs: Chronos2Outputs, ablation?: Chronos2Ablation): Promise<Chronos2ForwardResult> {
    const x = this.config.chronos2;
    const P = x.patchSize;
    const rows = this.prepare(input.rows);
    const B = rows.length;
    const Po = input.outputPatches;
    if (!Number.isInteger(Po) || Po < 1) throw new ChronosLensError('BAD_INPUT', `output patches must be a positive integer, got ${Po}`);
    const groupIds = input.groupIds ?? rows.map((_, i) => i);
    if (groupIds.length !== B || groupIds.some((g) => !Number.isInteger(g))) throw new ChronosLensError('BAD_INPUT', `group ids: expected ${B} integers, one per row`);
    if (input.future && input.future.length !== B) throw new ChronosLensError('BAD_INPUT', `future values: expected ${B} rows (one per row, undefined where none), got ${input.future.length}`);
    const Pc = rows[0].patched.patches;
    const reg = x.useRegToken ? 1 : 0;
    const T = Pc + reg + Po;
    const width = 3 * P;
    const scale = x.timeEncodingScale;
    const patches = new Float32Array(B * (Pc + Po) * width);
    const mask = new BigInt64Array(B * T).fill(1n);
    rows.forEach((r, i) => {
      const base = i * (Pc + Po) * width;
      // context patches: [time encoding (-Pc*P .. -1) / scale, values, mask]
      for (let p = 0; p < Pc; p++) {
        const o = base + p * width;
        for (let j = 0; j < P; j++) patches[o + j] = Math.fround((p * P + j - Pc * P) / scale);
        patches.set(r.patched.data.subarray(p * 2 * P, (p + 1) * 2 * P), o + P);
        mask[i * T + p] = BigInt(r.patched.observed[p]);
      }
      // output patches: [time encoding (0 .. Po*P-1) / scale, known future values (normalised with the row's loc and scale), their mask]
      const fut = input.future?.[i];
      if (fut && fut.length > Po * P) throw new ChronosLensError('BAD_INPUT', `row ${i} has ${fut.length} future values; ${Po} output patches hold at most ${Po * P}`);
      for (let p = 0; p < Po; p++) {
        const o = base + (Pc + p) * width;
        for (let j = 0; j < P; j++) {
          const s = p * P + j;
          patches[o + j] = Math.fround(s / scale);
          const v = fut && s < fut.length ? Math.fround(fut[s]) : NaN;
          if (!Number.isNaN(v)) {
            patches[o + P + j] = normalise(v, r.norm, x.useArcsinh);
            patches[o + 2 * P + j] = 1;
          }
        }
      }
    });
    const ab = ablation ?? this.noAblation;
    const t = this.config.t5;
    if (ab.layers !== t.numLayers || ab.heads !== t.numHeads || ab.dKv !== t.dKv) throw new ChronosLensError('BAD_INPUT', 'head ablation was built for a different model');
    const session = await this.session({ kind: 'chronos2-forward', outputs });
    const r = await session.run({
      patches: { data: patches, dims: [B, Pc + Po, width] },
      attention_mask: { data: mask, dims: [B, T] },
      group_ids: { data: BigInt64Array.from(groupIds, (g) => BigInt(g)), dims: [B] },
      context_patches: { data: BigInt64Array.of(BigInt(Pc)), dims: [1] },
      ...ab.feeds(),
    });
    const L = t.numLayers;
    const layers = (prefix: string) => (r[`${prefix}.0`] ? Array.from({ length: L }, (_, l) => r[`${prefix}.${l}`]) : undefined);
    const res: Chronos2ForwardResult = {
      rows,
      contextPatches: Pc,
      outputPatches: Po,
      tokens: T,
      firstOutputToken: Pc + reg,
      groupIds,
      encoderHidden: r.encoder_hidden,
      timeAttentions: layers('time_attn'),
      groupAttentions: layers('group_attn'),
    };
    const th = layers('time_head');
    const gh = layers('group_head');
    if (th || gh) res.headOutputs = { ...(th ? { time: th } : {}), ...(gh ? { group: gh } : {}) };
    if (r.quantile_preds) {
      const q = r.quantile_preds;
      res.normalizedQuantiles = q;
      const per = q.data.length / B;
      const out = new Float32Array(q.data.length);
      rows.forEach((row, i) => {
        for (let j = 0; j < per; j++) out[i * per + j] = denormalise(q.data[i * per + j], row.norm, x.useArcsinh);
      });
      res.quantiles = { data: out, dims: q.dims };
    }
    return res;
  }
}
