/**
 * Reads and validates a Chronos-Bolt checkpoint's `config.json`: the T5 fields of its encoder-decoder
 * and the `chronos_config` block (patching, horizon, quantile levels, [REG] token), as
 * chronos-forecasting's ChronosBoltModelForForecasting reads them. Every problem names the file, the
 * field and what was expected.
 */
import { CONFIG_LIMITS, FeedForwardProj, parseT5Stack, T5Config } from '../config';
import { bool, describe, fail, int, Json, num, own, quantileLevels } from '../config-fields';

export interface BoltChronosConfig {
  /** The model sees at most this many values (older ones are dropped). */
  contextLength: number;
  /** Steps one forward pass predicts; longer horizons are rolled out. */
  predictionLength: number;
  inputPatchSize: number;
  inputPatchStride: number;
  /** The quantile levels the head predicts, increasing. */
  quantiles: number[];
  /** A learnt [REG] token appended after the patches (all published Bolt models have one). */
  useRegToken: boolean;
}

export interface BoltModelConfig {
  /** The encoder-decoder; vocabSize is 1 (decoder start) or 2 (with [REG]), as the Python model sets it. */
  t5: T5Config;
  bolt: BoltChronosConfig;
  /** Embedding id of the [REG] token (1), when useRegToken. */
  regTokenId: number;
}

/** Bounds far above every published Bolt model (base: d_model 768, 12 + 12 layers, context 2048, 9 quantiles). */
const LIMITS = { context: CONFIG_LIMITS.context_length, horizon: CONFIG_LIMITS.prediction_length, patch: 1 << 12, quantiles: 1024 };

/** Parses a Bolt config.json (already JSON-parsed into `raw`). `file` is used in error messages. */
export function parseBoltConfig(raw: Json, file = 'config.json'): BoltModelConfig {
  const cc = own(raw, 'chronos_config');
  if (typeof cc !== 'object' || cc === null || Array.isArray(cc)) fail(file, 'a Chronos-Bolt config needs a "chronos_config" object (context_length, input_patch_size, prediction_length, quantiles)');
  if (own(raw, 'is_encoder_decoder') === false) fail(file, '"is_encoder_decoder" is false; Chronos-Bolt is an encoder-decoder');
  const ff = own(raw, 'feed_forward_proj') ?? 'relu';
  if (ff !== 'relu' && ff !== 'gated-gelu') fail(file, `field "feed_forward_proj" must be "relu" or "gated-gelu", got ${describe(ff)}`);
  const c = cc as Json;
  const p = 'chronos_config.';
  const useRegToken = bool(c, 'use_reg_token', file, false, p);
  const t5: T5Config = {
    // ChronosBoltModelForForecasting overrides vocab_size: its embedding holds only the decoder start
    // token and, with use_reg_token, [REG].
    vocabSize: useRegToken ? 2 : 1,
    ...parseT5Stack(raw, file),
    feedForwardProj: ff as FeedForwardProj,
    layerNormEpsilon: num(raw, 'layer_norm_epsilon', file, { fallback: 1e-6, positive: true }),
    tieWordEmbeddings: true,
    decoderStartTokenId: int(raw, 'decoder_start_token_id', file, { min: 0, max: useRegToken ? 1 : 0, fallback: 0 }),
    padTokenId: 0,
    eosTokenId: 0,
  };

  const inputPatchSize = int(c, 'input_patch_size', file, { min: 1, max: LIMITS.patch, prefix: p });
  const bolt: BoltChronosConfig = {
    contextLength: int(c, 'context_length', file, { min: 1, max: LIMITS.context, prefix: p }),
    predictionLength: int(c, 'prediction_length', file, { min: 1, max: LIMITS.horizon, prefix: p }),
    inputPatchSize,
    inputPatchStride: int(c, 'input_patch_stride', file, { min: 1, max: LIMITS.patch, fallback: inputPatchSize, prefix: p }),
    quantiles: [],
    useRegToken,
  };
  bolt.quantiles = quantileLevels(c, file, p, LIMITS.quantiles);
  return { t5, bolt, regTokenId: 1 };
}
