/**
 * Reads and validates a Chronos-2 checkpoint's `config.json`, as chronos-forecasting's Chronos2Model
 * reads it: the encoder's sizes (d_model, d_kv, d_ff, num_layers, num_heads, layer_norm_epsilon,
 * feed_forward_proj, rope_theta) and the `chronos_config` block (context length, patching, output
 * patches, quantile levels, [REG], arcsinh, time-encoding scale). Every problem names the file, the
 * field and what was expected.
 */
import { T5Config } from '../config';
import { Json, bool, describe, fail, int, num, own, quantileLevels } from '../config-fields';

export interface Chronos2ChronosConfig {
  /** The model sees at most this many values per series (older ones are dropped). */
  contextLength: number;
  /** Values per patch, in and out (the model requires the two to be equal). */
  patchSize: number;
  /** Output patches one forward pass predicts at most; longer horizons are rolled out. */
  maxOutputPatches: number;
  /** The quantile levels the head predicts, increasing. */
  quantiles: number[];
  /** A learnt [REG] token between the context patches and the output patches. */
  useRegToken: boolean;
  /** arcsinh after the instance norm (sinh before undoing it). */
  useArcsinh: boolean;
  /** Time indices are divided by this (default: context_length). */
  timeEncodingScale: number;
}

export interface Chronos2ModelConfig {
  /**
   * The encoder's sizes in the shape the shared graph writer reads (models/t5/graph.ts). Chronos-2 has
   * no relative position buckets and no decoder: those fields are unused.
   */
  t5: T5Config;
  chronos2: Chronos2ChronosConfig;
  /** RoPE base of the time attention. */
  ropeTheta: number;
  /** Embedding id of the [REG] token (1), when useRegToken. */
  regTokenId: number;
}

/** Bounds far above every published Chronos-2 model (120 M: d_model 768, 12 layers, context 8192). */
const LIMITS = { d_model: 1 << 14, d_kv: 1 << 12, d_ff: 1 << 16, layers: 256, heads: 256, context: 1 << 17, patch: 1 << 12, outputPatches: 1 << 12, quantiles: 1024 };

/** Parses a Chronos-2 config.json (already JSON-parsed into `raw`). `file` is used in error messages. */
export function parseChronos2Config(raw: Json, file = 'config.json'): Chronos2ModelConfig {
  const cc = own(raw, 'chronos_config');
  if (typeof cc !== 'object' || cc === null || Array.isArray(cc)) fail(file, 'a Chronos-2 config needs a "chronos_config" object (context_length, input_patch_size, output_patch_size, quantiles)');
  // Chronos2CoreConfig refuses gated activations; its MLPs and residual blocks use dense_act_fn.
  const ff = own(raw, 'feed_forward_proj') ?? 'relu';
  if (ff !== 'relu') fail(file, `field "feed_forward_proj" must be "relu" (the activation every Chronos-2 model uses), got ${describe(ff)}`);
  const c = cc as Json;
  const p = 'chronos_config.';
  const useRegToken = bool(c, 'use_reg_token', file, false, p);
  // Chronos2Model.forward reads the output tokens after exactly one [REG]; without it the model cannot run.
  if (!useRegToken) fail(file, `field "${p}use_reg_token" must be true: Chronos2Model needs its [REG] token`);
  const dKv = int(raw, 'd_kv', file, { min: 2, max: LIMITS.d_kv });
  if (dKv % 2 !== 0) fail(file, `field "d_kv" must be even (rotary position embeddings rotate pairs of dimensions), got ${dKv}`);
  const t5: T5Config = {
    // Chronos2Model overrides vocab_size: its embedding holds [PAD] and, with use_reg_token, [REG].
    vocabSize: useRegToken ? 2 : 1,
    dModel: int(raw, 'd_model', file, { min: 1, max: LIMITS.d_model }),
    dKv,
    dFf: int(raw, 'd_ff', file, { min: 1, max: LIMITS.d_ff }),
    numLayers: int(raw, 'num_layers', file, { min: 1, max: LIMITS.layers }),
    numDecoderLayers: 0,
    numHeads: int(raw, 'num_heads', file, { min: 1, max: LIMITS.heads }),
    relativeAttentionNumBuckets: 0,
    relativeAttentionMaxDistance: 0,
    feedForwardProj: 'relu',
    layerNormEpsilon: num(raw, 'layer_norm_epsilon', file, { fallback: 1e-6, positive: true }),
    tieWordEmbeddings: false,
    decoderStartTokenId: 0,
    padTokenId: 0,
    eosTokenId: 0,
  };
  const contextLength = int(c, 'context_length', file, { min: 1, max: LIMITS.context, prefix: p });
  const patchSize = int(c, 'input_patch_size', file, { min: 1, max: LIMITS.patch, prefix: p });
  const stride = int(c, 'input_patch_stride', file, { min: 1, max: LIMITS.patch, fallback: patchSize, prefix: p });
  const outSize = int(c, 'output_patch_size', file, { min: 1, max: LIMITS.patch, fallback: patchSize, prefix: p });
  if (stride !== patchSize) fail(file, `field "${p}input_patch_stride" (${stride}) must equal input_patch_size (${patchSize}): Chronos-2's time encoding assumes patches that do not overlap`);
  if (outSize !== patchSize) fail(file, `field "${p}output_patch_size" (${outSize}) must equal input_patch_size (${patchSize}), as Chronos2Model requires`);
  const chronos2: Chronos2ChronosConfig = {
    contextLength,
    patchSize,
    maxOutputPatches: int(c, 'max_output_patches', file, { min: 1, max: LIMITS.outputPatches, fallback: 1, prefix: p }),
    quantiles: [],
    useRegToken,
    useArcsinh: bool(c, 'use_arcsinh', file, false, p),
    timeEncodingScale: int(c, 'time_encoding_scale', file, { min: 1, max: 1 << 30, fallback: contextLength, prefix: p }),
  };
  chronos2.quantiles = quantileLevels(c, file, p, LIMITS.quantiles);
  const ropeTheta = num(raw, 'rope_theta', file, { fallback: 10000, positive: true });
  return { t5, chronos2, ropeTheta, regTokenId: 1 };
}

/** The context length and the horizon one forward pass covers (max_output_patches x patch size, the pipeline's default prediction length). */
export function chronos2Horizon(c: Chronos2ModelConfig): { contextLength: number; predictionLength: number } {
  return { contextLength: c.chronos2.contextLength, predictionLength: c.chronos2.maxOutputPatches * c.chronos2.patchSize };
}
