/**
 * The interpretability engine (host-free): induction mosaics, the attention lens, periodicity and head
 * ablation. Results are the plain-JSON types of ./types.
 */
export * from './types';
export { DEFAULT_THRESHOLD, countHeads, mosaicTokenBatch, runMosaic, withThreshold } from './mosaic';
export type { MosaicOptions } from './mosaic';
export {
  PROTOCOL_DEFAULTS,
  TOKEN_BATCH_FORMAT,
  centerIndex,
  inductionRows,
  parseTokenBatch,
  randomTokenBatch,
  readTokenBatch,
  seriesTokenBatch,
  writeTokenBatch,
} from './tokens';
export type { TokenBatch, TokenProtocol } from './tokens';
export { AttentionLens, DEFAULT_TOP_K, sameTokenPositions, topK } from './lens';
export type { LensOptions, RowQuery } from './lens';
export { autocorrelation, computePeriodicity, detectPeriods, detrended, headPeriodScores, periodicity } from './periodicity';
export type { DetectOptions, EncoderAttentionSource, HeadPeriodScores, Period, PeriodicityOptions } from './periodicity';
export { checkHead, formatHead, headGrid, headKey, parseHeads, randomControlSets, topHeads } from './heads';
export type { HeadGrid, ScoreSide } from './heads';
export {
  buildAblation,
  inductionBatch,
  inductionLoss,
  mae,
  mase,
  meanHeadOutputs,
  runAblation,
  seasonalScale,
  wql,
} from './ablation';
export type { AblationOptions, InductionBatch, InductionLossOptions, SeriesEvalOptions } from './ablation';
export { TOOL_VERSION, forEachChunk, makeManifest, modelSummary, toJson, writeFileAtomic } from './common';
export { meanStderr, percentileOf, zScoreOf } from './stats';
