/**
 * Result types of the interpretability engine and forecaster. They are plain JSON (numbers, strings,
 * nested arrays), so the CLI prints them, the extension stores them, and webviews render them as-is.
 * This file is a contract shared by analysis/ (forecasting included), cli/, protocol/ and webview/:
 * change it deliberately, everywhere at once.
 */

export type AttentionKind = 'cross' | 'encoder' | 'decoder';
export const ATTENTION_KINDS: readonly AttentionKind[] = ['cross', 'encoder', 'decoder'];

/** Which model produced a result. `hash` is the sha256 of the checkpoint's weights and config. */
export interface ModelSummary {
  name: string;
  path: string;
  hash: string;
  encoderLayers: number;
  decoderLayers: number;
  heads: number;
  dModel: number;
  dKv: number;
  contextLength: number;
  predictionLength: number;
  /**
   * Chronos-Bolt and Chronos-2 only (absent: Chronos-T5, whose positions are single values): the family,
   * and how its encoder positions cut the context into patches of `size` values every `stride`.
   */
  family?: 'chronos-bolt' | 'chronos-2';
  patch?: { size: number; stride: number };
}

/** Provenance stored with every result so it can be reproduced. */
export interface Manifest {
  tool: 'chronos-lens';
  toolVersion: string;
  createdAt: string; // ISO 8601
  model: { name: string; hash: string };
  command: string; // e.g. "mosaic", "ablate", "forecast"
  seeds: Record<string, number>;
  versions: { onnxruntime: string; node: string; builder: string };
  executionProvider: string;
  parameters: Record<string, unknown>;
}

/** A matrix indexed [layer][head]. */
export type LayerHead = number[][];

export interface HeadCounts {
  center: number; // heads with center score >= threshold
  right: number; // heads with right score >= threshold
  total: number; // heads with either score >= threshold
  heads: number; // number of heads of this kind (layers x heads)
  percent: number; // 100 * total / heads
}

export interface MosaicKind {
  layers: number;
  heads: number;
  center: LayerHead;
  right: LayerHead;
  /** Standard error of the batch mean, same shape as center / right. */
  stderr: { center: LayerHead; right: LayerHead };
  counts: HeadCounts;
}

/**
 * The induction protocol's parameters: `batch` random token sequences of `seqLen` tokens drawn (seeded)
 * from the inclusive id range `vocab`, each repeated `repeats` times, then `subExtension` tokens of it
 * once more. One definition for the token files, the mosaic's protocol, the ablation's induction batch
 * and the editor's mosaic settings.
 */
export interface InductionParams {
  batch: number;
  seqLen: number;
  repeats: number;
  subExtension: number;
  /** Inclusive token-id range random tokens are drawn from (for series batches: the range of ids that occur). */
  vocab: [number, number];
  seed: number;
}

/**
 * How a mosaic's batch was made. Token protocols (Chronos-T5): `random-tokens`, `series`. Patch
 * protocols (Chronos-Bolt, docs/patch-mosaic.md): `random-patches`, `series-patches`; for them
 * `seqLen` is the repeat period in values (for T5 a token is a value, so the period too), `patch`
 * says how it lies on the patches, and there is no vocabulary, EOS or decoder token id.
 */
export interface MosaicProtocol extends Omit<InductionParams, 'vocab'> {
  source: 'random-tokens' | 'series' | 'random-patches' | 'series-patches';
  /** Token protocols: the id range (random tokens) or the ids that occur (series). */
  vocab?: [number, number];
  eosTokenId?: number;
  decoderStartTokenId?: number;
  /** For the data-driven variants: where the windows came from (scale: the tokenizer's, or 0 for patches, normalised per context). */
  series?: { file: string; column: string; scale: number; windows: number };
  /** Patch protocols: the geometry every score is read from. */
  patch?: PatchGeometry;
  /** Set when the batch was loaded from a file instead of generated. */
  tokensFile?: string;
}

/**
 * Where a patch protocol's copies lie (docs/patch-mosaic.md). Values t = 0..contextLength-1, patch k
 * covers [k·size, (k+1)·size); the series repeats with `period` values; a span's copy is `shift`
 * values earlier (the smallest multiple of the period that is at least one patch).
 */
export interface PatchGeometry {
  size: number;
  /** Values per context (a multiple of size: the patches align, no padding). */
  contextLength: number;
  patches: number;
  period: number;
  shift: number;
  /** Encoder query patches (the last full repeat's). */
  queries: number[];
}

export interface MosaicResult {
  model: ModelSummary;
  protocol: MosaicProtocol;
  threshold: number;
  /** Decoder layers and heads (the reference, cross-attention, mosaic's shape). */
  layers: number;
  heads: number;
  cross?: MosaicKind;
  encoder?: MosaicKind;
  decoder?: MosaicKind;
  manifest: Manifest;
}

/** "L3.H5" style head id: zero-based layer and head, and which attention kind. */
export interface HeadRef {
  kind: AttentionKind;
  layer: number;
  head: number;
}

export interface ForecastResult {
  model: ModelSummary;
  /** The CSV file (absolute path), when the context came from one on disk. */
  file?: string;
  column: string;
  contextLengthUsed: number;
  predictionLength: number;
  numSamples: number;
  seed: number;
  quantileLevels: number[];
  /** [level][step] */
  quantiles: number[][];
  mean: number[];
  /** Lower median per step (Bolt: its 0.5 level). */
  median?: number[];
  /** [sample][step], present when requested. */
  samples?: number[][];
  /** Timestamps of the forecast steps, when the CSV has a timestamp column with a regular step. */
  timestamps?: string[];
  warnings: string[];
  manifest: Manifest;
}

/** Attention rows for one query position, for the series view and the text-editor hover. */
export interface LensResult {
  kind: 'encoder' | 'cross';
  /** Index of the query: a context position (encoder) or a forecast step (cross). */
  position: number;
  /** Number of context positions the rows cover (encoder keys, EOS excluded). */
  contextLength: number;
  layers: number;
  heads: number;
  /** [layer][head][key position] */
  rows: number[][][];
  /** Token id at each context position. */
  tokens: number[];
  /** Context positions holding the same token as the query, and the positions right after them. */
  sameToken: number[];
  nextToken: number[];
  /** Top-k attended positions per [layer][head]. */
  top: { position: number; weight: number }[][][];
}

/**
 * Chronos-2's group attention at one token index (a context patch, or the output-patch token of a
 * forecast step): across the series of one task, which series reads which.
 */
export interface GroupLensResult {
  kind: 'group';
  at: 'context' | 'forecast';
  /** The context patch (at: 'context') or the forecast step (at: 'forecast'). */
  position: number;
  /** The token index read: the patch itself, or the output-patch token that predicts the step. */
  token: number;
  layers: number;
  heads: number;
  /** The rows the model saw, in its order: targets, past-only covariates, known-future covariates. */
  series: { name: string; role: 'target' | 'past-covariate' | 'future-covariate' }[];
  /** [layer][head][i][j]: how much series i reads from series j (a row sums to 1). */
  matrices: number[][][][];
  /**
   * [layer][head][i][patch]: the share of series i's group attention on the other series at every
   * context patch (1 - what it reads from itself), when asked for.
   */
  lines?: number[][][][];
}

/**
 * The group-attention score per head (docs/chronos2.md): how much each series reads from the other
 * series of its group rather than from itself, averaged over the context patches where it is observed.
 */
export interface GroupScoreResult {
  kind: 'group-score';
  layers: number;
  heads: number;
  /** The rows, in the model's order, with the context patches each score averages over. */
  series: { name: string; role: 'target' | 'past-covariate' | 'future-covariate'; patches: number }[];
  contextPatches: number;
  /** [layer][head]: the mean over the series of perSeries. */
  score: number[][];
  /** [layer][head][i]: series i's share of group attention on the other series (1 - self). */
  perSeries: number[][][];
  /** [layer][head][i][j]: how much series i reads from series j, averaged over the patches. */
  matrix: number[][][][];
}

export interface PeriodicityResult {
  /** Dominant periods, strongest first. */
  periods: { period: number; strength: number }[];
  /** Per [layer][head]: attention mass at lags k*P (+-1) averaged over queries, and the uniform baseline. */
  headScores: {
    kind: 'encoder';
    /** In values (data rows). */
    period: number;
    /** When positions are patches (Chronos-Bolt): the period in patches (period / stride), the lag the head scores are at. */
    lag?: number;
    mass: LayerHead;
    uniform: LayerHead;
    ratio: LayerHead;
  };
  /** Per [layer][head]: power of the attention pattern at the dominant frequency (normalised). */
  spectrum?: LayerHead;
}

export interface MetricSummary {
  name: string; // e.g. "induction_loss", "mase", "wql", "mae_median"
  unablated: number;
  ablated: number;
  controls: number[];
  /** Where the ablated value falls in the control distribution. */
  percentile: number;
  zScore: number;
}

/** Zero ablation replaces a head's output by 0; mean ablation by its mean output on a reference batch. */
export type AblationMethod = 'zero' | 'mean';

/** Chronos-Bolt: the copy loss's batch (values per repeat, repeats, sub-extension patches, values scored). */
export interface CopyLossSummary {
  batch: number;
  period: number;
  repeats: number;
  subExtension: number;
  horizon: number;
}

export interface AblationResult {
  model: ModelSummary;
  heads: HeadRef[];
  method: AblationMethod;
  /** Control head sets (same size, seeded). */
  controlSets: HeadRef[][];
  metrics: MetricSummary[];
  /** Mean-ablation replacement statistics, stored for reproducibility. */
  meanReference?: { batch: number; seed: number };
  /** inductionLoss: Chronos-T5's; a Chronos-Bolt run has the copy loss instead. */
  data: { inductionLoss: boolean; copyLoss?: CopyLossSummary; csv?: { file: string; column: string; heldOut: number; period: number } };
  manifest: Manifest;
}

// ---- the sweep atlas (analysis/sweep/merge.ts builds it; the CLI's page and the atlas panel draw it) ----

export type SweepTaskState = 'pending' | 'running' | 'done' | 'failed';
export const SWEEP_TASK_STATES: readonly SweepTaskState[] = ['pending', 'running', 'done', 'failed'];

export const ATLAS_FORMAT = 'chronos-lens-atlas/1';

export interface AtlasModel {
  label: string;
  identity: string;
  /** Float32 values in the weights (from any finished task of the model). */
  parameters?: number;
  encoderLayers?: number;
  decoderLayers?: number;
  heads?: number;
  dModel?: number;
}

export interface AtlasDataset {
  label: string;
  kind: 'reference' | 'csv';
  column?: string;
  hash?: string;
}

export interface AtlasTask {
  id: string;
  model: number;
  dataset: number;
  analysis: number;
  seed: number | null;
  state: SweepTaskState;
  /** The task's manifest, relative to the atlas file. */
  manifest: string;
  error?: string;
}

export interface AtlasInduction {
  task: string;
  model: number;
  dataset: number;
  seed: number | null;
  threshold: number;
  counts: Partial<Record<AttentionKind, HeadCounts>>;
}

export interface AtlasAblationMetric {
  name: string;
  unablated: number | null;
  ablated: number | null;
  change: number | null;
  controlsMean: number | null;
  controlsSd: number | null;
  percentile: number | null;
  zScore: number | null;
}

export interface AtlasAblation {
  task: string;
  model: number;
  dataset: number;
  seed: number | null;
  heads: string[];
  method: string;
  controls: number;
  metrics: AtlasAblationMetric[];
}

export interface AtlasForecast {
  task: string;
  model: number;
  dataset: number;
  seed: number | null;
  heldOut: number;
  period: number;
  mase: number | null;
  wql: number | null;
  mae_median: number | null;
}

export interface AtlasAttribution {
  task: string;
  model: number;
  dataset: number;
  target: string;
  step: number;
  /** The attributed quantity (the sum of every component). */
  total: number | null;
  /** The components with the largest |value|, largest first (every component is in the task's result). */
  top: { component: string; value: number | null }[];
}

/** The atlas without the tasks' full results: what its tables and charts are drawn from. */
export interface AtlasSummary {
  format: typeof ATLAS_FORMAT;
  name: string;
  toolVersion: string;
  complete: boolean;
  counts: Record<SweepTaskState, number>;
  models: AtlasModel[];
  datasets: AtlasDataset[];
  /** The sweep's analyses with their options (`type` names each). */
  analyses: { type: string }[];
  tasks: AtlasTask[];
  induction: AtlasInduction[];
  ablations: AtlasAblation[];
  forecasts: AtlasForecast[];
  attributions: AtlasAttribution[];
}

// ---------------------------------------------------------------------------------------------
// The causal analyses (analysis/causal/; definitions in docs/causal.md)

export type AttributionTarget = 'logit' | 'logprob' | 'expected';

export interface AttributionComponent {
  /** e.g. "embedding", "decoder:L1.H2", "cross:L0.H3", "decoder:L1.ff", "logsumexp". */
  component: string;
  /** encoder_head: Chronos-Bolt's encoder heads, in its encoder breakdown of the cross heads. */
  kind: 'embedding' | 'self_head' | 'cross_head' | 'encoder_head' | 'ff' | 'constant';
  layer: number | null;
  head: number | null;
  value: number;
}

export interface AttributionResult {
  model: ModelSummary;
  target: {
    kind: AttributionTarget;
    step: number;
    /** The token whose logit / log-probability is attributed (expected: the median token, for reference). */
    token: number;
    /** Its value in series units (bin centre x scale). */
    tokenValue: number;
    /** The decoder inputs (start token, then the median path up to the step). */
    decoderInputs: number[];
    scale: number;
    /** The frozen final-norm scale 1 / sqrt(mean(x^2) + eps). */
    normScale: number;
    /** The clean run's logit, log-probability and expected value (series units), for reference. */
    logit: number;
    logprob: number;
    expectedValue: number;
  };
  /** The sum of the parts: the logit, log p, or scale * Cov_p(centre, logit) (see the module doc). */
  total: number;
  components: AttributionComponent[];
  manifest: Manifest;
}

/**
 * Direct attribution of one Chronos-Bolt forecast value (a quantile level at a step, series units) to its
 * decoder token's residual stream, through the final RMS norm with its scale frozen and the quantile
 * head with its activation gates frozen (docs/causal.md).
 */
export interface BoltAttributionResult {
  model: ModelSummary;
  target: {
    kind: 'quantile';
    step: number;
    level: number;
    /** The clean forecast at that level and step, series units (= total). */
    value: number;
    /** The instance norm: value = loc + scale x the head's normalised output. */
    loc: number;
    scale: number;
    /** The frozen final-norm scale 1 / sqrt(mean(x^2) + eps). */
    normScale: number;
    /** The head's activation, whose gates act(pre) / pre are frozen. */
    activation: 'relu' | 'gelu_new';
    /** Of the head's hidden units, how many the frozen gates let through (ReLU: pre > 0). */
    openGates: number;
  };
  /** The sum of the parts: loc + scale x (the head's output). */
  total: number;
  /** The decoder token's embedding, every self / cross head, every feed-forward block, the head's biases and loc. */
  components: AttributionComponent[];
  /**
   * The cross heads' parts split by what the encoder wrote at the positions they read (attention and the
   * encoder's final-norm scales frozen): the patch embeddings, [REG], every encoder head and feed-forward
   * block. They sum to the cross heads' parts.
   */
  encoderComponents: AttributionComponent[];
  manifest: Manifest;
}

export interface LayerLensLayer {
  layer: number;
  /** [level][step], series units. */
  quantiles: number[][];
  mean: number[];
  /** KL(final || this layer) per step, nats (Chronos-T5: a distribution over tokens). */
  klToFinal?: number[];
  /**
   * Chronos-Bolt (quantiles, no distribution): per step, the mean over levels of |this layer's quantile -
   * the last layer's|, series units.
   */
  gapToFinal?: number[];
}

export interface LayerLensResult {
  model: ModelSummary;
  steps: number;
  quantileLevels: number[];
  scale: number;
  /** The median path the decoder was teacher-forced on (token ids), and its values. */
  path: number[];
  pathValues: number[];
  layers: LayerLensLayer[];
  manifest: Manifest;
}

export type PatchMapKind = 'heads' | 'headPos' | 'resid';

/** The raw metric of every patched run (mean log-prob of the labels), per map. */
export interface PatchRaw {
  heads?: Partial<Record<AttentionKind, number[][]>>;
  headPos?: Partial<Record<AttentionKind, number[][][]>>;
  resid?: Partial<Record<'encoder' | 'decoder', number[][]>>;
  /** One value per head set of the request. */
  sets?: number[];
}

export interface PatchingResult {
  model: ModelSummary;
  /** What clean and corrupted are (e.g. repeated random tokens against a non-repeating control). */
  description: string;
  metric: 'mean log-prob of the labels';
  pairs: number;
  /** The metric averaged over pairs. */
  clean: number;
  corrupted: number;
  /** (patched - corrupted) / (clean - corrupted) of the pair-averaged metrics, per map. */
  restored: PatchRaw;
  /** The pair-averaged metric of every patched run. */
  raw: PatchRaw;
  /** Labels of the head sets, in the order of restored.sets. */
  sets?: { label: string; heads: HeadRef[]; control: boolean }[];
  parameters: Record<string, unknown>;
  manifest: Manifest;
}

export type LayerStack = 'encoder' | 'decoder';

/** 'attention' is the self-attention in the encoder and both attentions in the decoder. */
export type LayerPart = 'all' | 'attention' | 'self' | 'cross' | 'ff';

export interface LayerRef {
  stack: LayerStack;
  layer: number;
  part: LayerPart;
}

export interface LayerVariant {
  label: string;
  layers: LayerRef[];
  /** Metric name -> value (induction_loss, induction_loss_control or copy_loss, copy_loss_control; mase, wql, mae_median). */
  values: Record<string, number>;
}

export interface LayerAblationResult {
  model: ModelSummary;
  unablated: Record<string, number>;
  /** One per layer set, in the order given (a sweep: encoder L0.., then decoder L0..). */
  variants: LayerVariant[];
  sweep: boolean;
  data: {
    inductionLoss: boolean;
    copyLoss?: CopyLossSummary;
    csv?: { file: string; column: string; heldOut: number; period: number };
  };
  manifest: Manifest;
}
