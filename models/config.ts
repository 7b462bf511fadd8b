/**
 * Reads and validates a Chronos checkpoint's `config.json`: the T5 fields the graph builder needs and
 * the `chronos_config` block (tokenizer and sampling defaults). Every problem is reported with the file,
 * the field and what was expected; unsupported model families are refused with a clear message.
 */
import { ChronosLensError } from '../core/errors';
import type { ModelDims } from '../core/limits';
import { bool, describe, fail, int, Json, num, own } from './config-fields';
import { oneLine, plainText } from './files';

/**
 * Upper bounds for the sizes in config.json: far above the largest published Chronos (chronos-t5-large:
 * d_model 1024, d_ff 4096, 24 + 24 layers, 16 heads, 4096 tokens; T5's own vocabulary is 32128) and
 * low enough that a typo or a hostile file (num_layers 1e8) is a clear error before anything is
 * allocated, instead of an out-of-memory abort.
 */
export const CONFIG_LIMITS = {
  vocab_size: 1 << 20,
  d_model: 1 << 14,
  d_kv: 1 << 12,
  d_ff: 1 << 16,
  num_layers: 256,
  num_decoder_layers: 256,
  num_heads: 256,
  relative_attention_num_buckets: 1 << 12,
  relative_attention_max_distance: 1 << 20,
  n_tokens: 1 << 20,
  context_length: 1 << 16,
  prediction_length: 1 << 13,
  num_samples: 10_000,
  top_k: 1 << 20,
} as const;

/** |low_limit| and |high_limit| of the tokenizer: Chronos uses ±15; beyond this the bins overflow float32 arithmetic. */
export const MAX_TOKENIZER_LIMIT = 1e6;

export type FeedForwardProj = 'relu' | 'gated-gelu';

export interface T5Config extends ModelDims {
  relativeAttentionNumBuckets: number;
  relativeAttentionMaxDistance: number;
  feedForwardProj: FeedForwardProj;
  layerNormEpsilon: number;
  tieWordEmbeddings: boolean;
  decoderStartTokenId: number;
  padTokenId: number;
  eosTokenId: number;
}

export interface ChronosConfig {
  tokenizerClass: 'MeanScaleUniformBins';
  lowLimit: number;
  highLimit: number;
  nTokens: number;
  nSpecialTokens: number;
  padTokenId: number;
  eosTokenId: number;
  useEosToken: boolean;
  modelType: 'seq2seq';
  contextLength: number;
  predictionLength: number;
  numSamples: number;
  temperature: number;
  topK: number;
  topP: number;
}

export interface ModelConfig {
  t5: T5Config;
  chronos: ChronosConfig;
}

/**
 * Names the model family of a config that is not a token-based Chronos T5, or returns undefined.
 * Used to refuse Chronos-Bolt, Chronos-2 and causal (GPT-2) Chronos models with a clear message.
 */
export function unsupportedFamily(raw: Json): string | undefined {
  // Names from the file end up in a one-line message: escaped and bounded.
  const archs = Array.isArray(raw.architectures) ? raw.architectures.map((a) => plainText(a)) : [];
  const pipeline = typeof raw.chronos_pipeline_class === 'string' ? oneLine(raw.chronos_pipeline_class, 60) : '';
  const cc = (raw.chronos_config ?? {}) as Json;
  if (archs.some((a) => /Bolt/i.test(a)) || /Bolt/i.test(pipeline)) return `Chronos-Bolt (${archs[0] ?? pipeline})`;
  if (archs.some((a) => /Chronos2/i.test(a)) || /Chronos2/i.test(pipeline)) return `Chronos-2 (${archs[0] ?? pipeline})`;
  if (cc.model_type === 'causal') return `causal Chronos (chronos_config.model_type "causal"${archs[0] ? `, ${archs[0]}` : ''})`;
  if (raw.model_type !== undefined && raw.model_type !== 't5') return `model_type "${plainText(raw.model_type)}"`;
  return undefined;
}

/** The fields of a T5 encoder-decoder stack, which every T5-based family's config.json spells the same way. */
export type T5Stack = Omit<T5Config, 'vocabSize' | 'feedForwardProj' | 'layerNormEpsilon' | 'tieWordEmbeddings' | 'decoderStartTokenId' | 'padTokenId' | 'eosTokenId'>;

export function parseT5Stack(r: Json, file: string): T5Stack {
  const L = CONFIG_LIMITS;
  const numLayers = int(r, 'num_layers', file, { min: 1, max: L.num_layers });
  const stack: T5Stack = {
    dModel: int(r, 'd_model', file, { min: 1, max: L.d_model }),
    dKv: int(r, 'd_kv', file, { min: 1, max: L.d_kv }),
    dFf: int(r, 'd_ff', file, { min: 1, max: L.d_ff }),
    numLayers,
    numDecoderLayers: int(r, 'num_decoder_layers', file, { min: 1, max: L.num_decoder_layers, fallback: numLayers }),
    numHeads: int(r, 'num_heads', file, { min: 1, max: L.num_heads }),
    relativeAttentionNumBuckets: int(r, 'relative_attention_num_buckets', file, { min: 2, max: L.relative_attention_num_buckets, fallback: 32 }),
    relativeAttentionMaxDistance: int(r, 'relative_attention_max_distance', file, { min: 1, max: L.relative_attention_max_distance, fallback: 128 }),
  };
  if (stack.relativeAttentionNumBuckets % 2 !== 0) {
    fail(file, `field "relative_attention_num_buckets" must be even (the encoder splits buckets by direction), got ${stack.relativeAttentionNumBuckets}`);
  }
  return stack;
}

/** Parses config.json text. `file` is used in error messages. */
export function parseModelConfig(text: string, file = 'config.json'): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail(file, `not valid JSON (${oneLine((e as Error).message)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(file, 'expected a JSON object at the top level');
  const r = raw as Json;

  const family = unsupportedFamily(r);
  if (family) {
    // Reached by the commands that open Chronos-T5 only: forecast, info, lens and ablate open every family through models/load.ts.
    const tail = family.startsWith('Chronos-Bolt') ? 'Chronos-Bolt checkpoints work with forecast, info, lens, mosaic and ablate so far; this needs a Chronos-T5 model (amazon/chronos-t5-*).' : 'Chronos Lens runs the token-based Chronos T5 models (amazon/chronos-t5-*).';
    throw new ChronosLensError('UNSUPPORTED_MODEL', `${file}: not supported yet: ${family}. ${tail}`);
  }
  if (r.chronos_config === undefined) {
    fail(file, 'no "chronos_config" block: this is not a Chronos checkpoint (a plain T5 model has no tokenizer settings for time series)');
  }
  if (typeof r.chronos_config !== 'object' || r.chronos_config === null || Array.isArray(r.chronos_config)) fail(file, '"chronos_config" must be an object');
  if (r.is_encoder_decoder === false) fail(file, '"is_encoder_decoder" is false; expected an encoder-decoder T5');

  const ffRaw = r.feed_forward_proj ?? 'relu';
  if (ffRaw !== 'relu' && ffRaw !== 'gated-gelu') {
    fail(file, `field "feed_forward_proj" must be "relu" or "gated-gelu", got ${describe(ffRaw)}`);
  }
  const L = CONFIG_LIMITS;
  const t5: T5Config = {
    vocabSize: int(r, 'vocab_size', file, { min: 3, max: L.vocab_size }),
    ...parseT5Stack(r, file),
    feedForwardProj: ffRaw,
    layerNormEpsilon: num(r, 'layer_norm_epsilon', file, { fallback: 1e-6, positive: true, maxAbs: 1 }),
    tieWordEmbeddings: bool(r, 'tie_word_embeddings', file, true),
    decoderStartTokenId: int(r, 'decoder_start_token_id', file, { min: 0, fallback: 0 }),
    padTokenId: int(r, 'pad_token_id', file, { min: 0, fallback: 0 }),
    eosTokenId: int(r, 'eos_token_id', file, { min: 0, fallback: 1 }),
  };
  const ids = [['decoder_start_token_id', t5.decoderStartTokenId], ['pad_token_id', t5.padTokenId], ['eos_token_id', t5.eosTokenId]] as const;
  for (const [field, id] of ids) {
    if (id >= t5.vocabSize) fail(file, `field "${field}" is ${id}, outside the vocabulary (vocab_size ${t5.vocabSize}: ids 0 to ${t5.vocabSize - 1})`);
  }

  const c = r.chronos_config as Json;
  const p = 'chronos_config.';
  const tokClass = own(c, 'tokenizer_class') ?? 'MeanScaleUniformBins';
  if (tokClass !== 'MeanScaleUniformBins') fail(file, `field "${p}tokenizer_class" must be "MeanScaleUniformBins", got ${describe(tokClass)}`);
  const kw = (own(c, 'tokenizer_kwargs') ?? {}) as Json;
  if (typeof kw !== 'object' || kw === null || Array.isArray(kw)) fail(file, `field "${p}tokenizer_kwargs" must be an object`);
  const modelType = own(c, 'model_type') ?? 'seq2seq';
  if (modelType !== 'seq2seq') fail(file, `field "${p}model_type" must be "seq2seq", got ${describe(modelType)}`);
  const chronos: ChronosConfig = {
    tokenizerClass: 'MeanScaleUniformBins',
    lowLimit: num(kw, 'low_limit', file, { fallback: -15, prefix: `${p}tokenizer_kwargs.`, maxAbs: MAX_TOKENIZER_LIMIT }),
    highLimit: num(kw, 'high_limit', file, { fallback: 15, prefix: `${p}tokenizer_kwargs.`, maxAbs: MAX_TOKENIZER_LIMIT }),
    nTokens: int(c, 'n_tokens', file, { min: 4, max: L.n_tokens, prefix: p }),
    nSpecialTokens: int(c, 'n_special_tokens', file, { min: 0, fallback: 2, prefix: p }),
    padTokenId: int(c, 'pad_token_id', file, { min: 0, fallback: 0, prefix: p }),
    eosTokenId: int(c, 'eos_token_id', file, { min: 0, fallback: 1, prefix: p }),
    useEosToken: bool(c, 'use_eos_token', file, true, p),
    modelType: 'seq2seq',
    contextLength: int(c, 'context_length', file, { min: 1, max: L.context_length, fallback: 512, prefix: p }),
    predictionLength: int(c, 'prediction_length', file, { min: 1, max: L.prediction_length, fallback: 64, prefix: p }),
    numSamples: int(c, 'num_samples', file, { min: 1, max: L.num_samples, fallback: 20, prefix: p }),
    temperature: num(c, 'temperature', file, { fallback: 1.0, prefix: p, positive: true, maxAbs: 1e6 }),
    topK: int(c, 'top_k', file, { min: 0, max: L.top_k, fallback: 50, prefix: p }),
    topP: num(c, 'top_p', file, { fallback: 1.0, prefix: p, positive: true }),
  };
  if (!(chronos.highLimit > chronos.lowLimit)) fail(file, `${p}tokenizer_kwargs: high_limit (${chronos.highLimit}) must be greater than low_limit (${chronos.lowLimit})`);
  if (chronos.nTokens - chronos.nSpecialTokens - 1 < 2) fail(file, `${p}n_tokens (${chronos.nTokens}) leaves fewer than 2 bins after ${chronos.nSpecialTokens} special tokens`);
  if (chronos.nTokens > t5.vocabSize) fail(file, `${p}n_tokens (${chronos.nTokens}) exceeds vocab_size (${t5.vocabSize})`);
  for (const [field, id] of [['pad_token_id', chronos.padTokenId], ['eos_token_id', chronos.eosTokenId]] as const) {
    if (id >= chronos.nTokens) fail(file, `field "${p}${field}" is ${id}, outside the tokenizer's ${chronos.nTokens} tokens (${p}n_tokens)`);
  }
  if (chronos.topP > 1) fail(file, `${p}top_p must be in (0, 1], got ${chronos.topP}`);
  return { t5, chronos };
}
