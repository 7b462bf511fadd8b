/**
 * Fixture data for the webview tests (and the series view's). Deterministic, built in code:
 *  - mosaics: the background article's published chronos-t5-{mini,large} cross-attention scores
 *    (read in place from ../shared/background), plus synthetic encoder/decoder kinds;
 *  - an ablation result with seeded control distributions;
 *  - the AirPassengers series (read in place from ../shared/data) with a seasonal-naive "forecast"
 *    fan and an induction-like attention lens. These are rendering fixtures, not model outputs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ATLAS_FORMAT, type AblationResult, type AtlasSummary, type AtlasTask, type AttentionKind, type ForecastResult, type LayerHead, type LensResult, type Manifest, type ModelSummary, type MosaicKind, type MosaicResult, type PeriodicityResult } from '../../analysis/types';
import type { InitSeriesMessage, SeriesPayload } from '../../protocol';

export const SHARED = path.resolve(__dirname, '../../../shared');

/** A seeded LCG in [0, 1) (fixtures only; the product's randomness goes through core/rng). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const matrix = (layers: number, heads: number, f: (l: number, h: number) => number): LayerHead =>
  Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => f(l, h)));

export function mosaicKind(center: LayerHead, right: LayerHead, threshold = 0.3, batch = 100): MosaicKind {
  const layers = center.length;
  const heads = center[0]?.length ?? 0;
  const se = (m: LayerHead) => m.map((r) => r.map((v) => Math.sqrt(Math.max(0, v * (1 - v)) / batch)));
  let c = 0;
  let r = 0;
  let t = 0;
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      const a = center[l][h] >= threshold;
      const b = right[l][h] >= threshold;
      c += +a;
      r += +b;
      t += +(a || b);
    }
  }
  return { layers, heads, center, right, stderr: { center: se(center), right: se(right) }, counts: { center: c, right: r, total: t, heads: layers * heads, percent: (100 * t) / (layers * heads) } };
}

type SeedModel = 'chronos-t5-mini' | 'chronos-t5-small' | 'chronos-t5-base' | 'chronos-t5-large';

/** The article's published cross-attention mosaic of one model: [center, right] as [layer][head]. */
export function publishedMosaic(model: SeedModel): [LayerHead, LayerHead] {
  const fig = JSON.parse(readFileSync(path.join(SHARED, 'background/seed-published-mosaics.plotly.json'), 'utf8')) as {
    layout: { updatemenus: { buttons: { label: string; args: [{ z: LayerHead[] }] }[] }[] };
  };
  const b = fig.layout.updatemenus[0].buttons.find((x) => x.label === model);
  if (!b) throw new Error(`no published mosaic for ${model}`);
  const [center, right] = b.args[0].z;
  return [center, right];
}

const SIZES: Record<SeedModel, { layers: number; heads: number; dModel: number }> = {
  'chronos-t5-mini': { layers: 4, heads: 8, dModel: 384 },
  'chronos-t5-small': { layers: 6, heads: 8, dModel: 512 },
  'chronos-t5-base': { layers: 12, heads: 12, dModel: 768 },
  'chronos-t5-large': { layers: 24, heads: 16, dModel: 1024 },
};

export function modelSummary(model: SeedModel = 'chronos-t5-mini'): ModelSummary {
  const s = SIZES[model];
  return {
    name: model,
    path: `/models/${model}`,
    hash: '3f1c0ffee0ddba11'.padEnd(64, '0'),
    encoderLayers: s.layers,
    decoderLayers: s.layers,
    heads: s.heads,
    dModel: s.dModel,
    dKv: 64,
    contextLength: 512,
    predictionLength: 64,
  };
}

export function manifest(command: string, model: SeedModel = 'chronos-t5-mini'): Manifest {
  return {
    tool: 'chronos-lens',
    toolVersion: '0.1.0',
    createdAt: '2025-06-01T12:00:00.000Z',
    model: { name: model, hash: modelSummary(model).hash },
    command,
    seeds: { tokens: 0 },
    versions: { onnxruntime: '1.30.0', node: '20.19.0', builder: '1' },
    executionProvider: 'cpu',
    parameters: {},
  };
}

/** A mosaic with the published cross-attention scores and synthetic encoder / decoder kinds. */
export function mosaicFixture(model: SeedModel = 'chronos-t5-mini', kinds: AttentionKind[] = ['cross', 'encoder', 'decoder']): MosaicResult {
  const { layers, heads } = SIZES[model];
  const rnd = lcg(42);
  const synth = (bias: number) =>
    mosaicKind(
      matrix(layers, heads, (l, h) => Math.min(0.98, 0.02 + 0.05 * rnd() + ((l * 3 + h * 5 + bias) % 11 === 0 ? 0.35 + 0.4 * rnd() : 0))),
      matrix(layers, heads, (l, h) => Math.min(0.98, 0.02 + 0.05 * rnd() + ((l * 7 + h * 3 + bias) % 13 === 0 ? 0.3 + 0.5 * rnd() : 0))),
    );
  const [center, right] = publishedMosaic(model);
  const all: Record<AttentionKind, MosaicKind> = { cross: mosaicKind(center, right), encoder: synth(1), decoder: synth(4) };
  const r: MosaicResult = {
    model: modelSummary(model),
    protocol: { source: 'random-tokens', batch: 100, seqLen: 10, repeats: 2, subExtension: 1, vocab: [1911, 2187], seed: 0, eosTokenId: 1, decoderStartTokenId: 0 },
    threshold: 0.3,
    layers,
    heads,
    manifest: manifest('mosaic', model),
  };
  for (const k of kinds) r[k] = all[k];
  return r;
}

export function ablationFixture(controls = 40): AblationResult {
  const rnd = lcg(7);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const metric = (name: string, un: number, ab: number, sd: number) => {
    const values = Array.from({ length: controls }, () => un + Math.abs(normal()) * sd * 0.6 + normal() * sd * 0.3);
    const mean = values.reduce((a, b) => a + b, 0) / controls;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (controls - 1));
    return { name, unablated: un, ablated: ab, controls: values, percentile: (100 * values.filter((c) => c < ab).length) / controls, zScore: (ab - mean) / std };
  };
  const model = modelSummary('chronos-t5-small');
  return {
    model,
    heads: [
      { kind: 'cross', layer: 3, head: 5 },
      { kind: 'cross', layer: 4, head: 1 },
    ],
    method: 'zero',
    controlSets: Array.from({ length: controls }, (_, i) => [
      { kind: 'cross' as const, layer: i % 6, head: (i * 3) % 8 },
      { kind: 'cross' as const, layer: (i + 2) % 6, head: (i * 5 + 1) % 8 },
    ]),
    metrics: [metric('induction_loss', 2.1, 3.4, 0.25), metric('mase', 0.91, 1.02, 0.03), metric('wql', 0.081, 0.094, 0.004), metric('mae_median', 12.3, 12.9, 0.4)],
    data: { inductionLoss: true, csv: { file: 'AirPassengers.csv', column: '#Passengers', heldOut: 24, period: 12 } },
    manifest: manifest('ablate', 'chronos-t5-small'),
  };
}

/** AirPassengers (144 monthly rows; the file's line endings are bare CR). */
export function airPassengers(): { timestamps: string[]; values: number[] } {
  const text = readFileSync(path.join(SHARED, 'data/AirPassengers.csv'), 'utf8');
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.trim());
  const rows = lines.slice(1).map((l) => l.split(','));
  return { timestamps: rows.map((r) => `${r[0]}-01`), values: rows.map((r) => Number(r[1])) };
}

/** The series payload, context = the last `contextLength` rows. */
export function seriesFixture(contextLength = 96): SeriesPayload {
  const { timestamps, values } = airPassengers();
  return {
    file: 'AirPassengers.csv',
    column: '#Passengers',
    columns: ['#Passengers'],
    index: values.map((_, i) => i),
    values,
    timestamps,
    totalRows: values.length,
    context: { start: values.length - contextLength, end: values.length },
  };
}

/** A seasonal-naive fan (period 12) with widening quantiles; a rendering fixture, not a model forecast. */
export function forecastFixture(steps = 24): ForecastResult {
  const { values } = airPassengers();
  const levels = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
  const z = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816];
  const base = Array.from({ length: steps }, (_, k) => values[values.length - 12 + (k % 12)] * (1 + 0.08 * (1 + Math.floor(k / 12))));
  const quantiles = z.map((zz) => base.map((b, k) => b + zz * b * 0.03 * Math.sqrt(k + 1)));
  const timestamps = Array.from({ length: steps }, (_, k) => {
    const m = 12 + k; // months after 1960-01
    return `${1960 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, '0')}-01`;
  });
  return {
    model: modelSummary('chronos-t5-mini'),
    column: '#Passengers',
    contextLengthUsed: 144,
    predictionLength: steps,
    numSamples: 20,
    seed: 0,
    quantileLevels: levels,
    quantiles,
    mean: quantiles[4],
    timestamps,
    warnings: [],
    manifest: manifest('forecast'),
  };
}

/** An induction-like lens row set: each head attends around p - 12·k (+1 for "right" heads). */
export function lensFixture(position: number, contextLength = 96, layers = 4, heads = 8): LensResult {
  const rows = Array.from({ length: layers }, (_, l) =>
    Array.from({ length: heads }, (_, h) => {
      const raw = Array.from({ length: contextLength }, (_, k) => {
        if (k > position) return 0;
        const lag = position - k;
        const shift = (l + h) % 3 === 0 ? 1 : 0;
        const periodic = (lag - shift) % 12 === 0 && lag > 0 ? 3 + l : 0;
        return Math.exp(-lag / (8 + 4 * h)) * 0.5 + periodic + (lag === 0 ? 1 : 0);
      });
      const s = raw.reduce((a, b) => a + b, 0) || 1;
      return raw.map((v) => v / s);
    }),
  );
  const sameToken = [position - 24, position - 12].filter((p) => p >= 0);
  return {
    kind: 'encoder',
    position,
    contextLength,
    layers,
    heads,
    rows,
    tokens: Array.from({ length: contextLength }, (_, k) => 1000 + (k % 12)),
    sameToken,
    nextToken: sameToken.map((p) => p + 1),
    top: rows.map((lr) => lr.map((r) => r.map((weight, p) => ({ position: p, weight })).sort((a, b) => b.weight - a.weight).slice(0, 3))),
  };
}

/**
 * The series view's data: AirPassengers with a fan, a mosaic and periodicity scores; `scale`
 * multiplies the values (small values make a narrow y axis: a caption beside the strip would not fit
 * its margin), the context is the last `T` rows.
 */
export function seriesInitFixture(T = 96, scale = 1): InitSeriesMessage {
  const model: ModelSummary = { ...modelSummary('chronos-t5-mini'), contextLength: T, predictionLength: 24 };
  const base = seriesFixture(T);
  const series: SeriesPayload = { ...base, values: base.values.map((v) => (v === null ? null : v * scale)), columns: ['#Passengers', 'Seats'] };
  const f = forecastFixture(24);
  const forecast = { ...f, quantiles: f.quantiles.map((q) => q.map((v) => v * scale)), mean: f.mean.map((v) => v * scale) };
  const mosaic = mosaicFixture('chronos-t5-mini');
  mosaic.model = model;
  const ratio = Array.from({ length: 4 }, (_, l) => Array.from({ length: 8 }, (_, hd) => 0.5 + ((l * 5 + hd * 3) % 7)));
  const periodicity: PeriodicityResult = {
    periods: [{ period: 12, strength: 0.83 }],
    headScores: { kind: 'encoder', period: 12, mass: ratio.map((r) => r.map((x) => x / 10)), uniform: ratio.map((r) => r.map(() => 0.1)), ratio },
  };
  return { type: 'initSeries', series, model, forecast, mosaic, periodicity, selection: { mode: 'head', layer: 2, head: 3 } };
}

/**
 * An atlas of a sweep over mini, small and base (their published cross-attention mosaics on the
 * reference protocol), ablations on two datasets with their controls, forecast metrics, one
 * attribution and one failed task.
 */
export function atlasFixture(): { atlas: AtlasSummary; mosaics: { task: string; result: MosaicResult }[] } {
  const models: { name: SeedModel; parameters: number }[] = [
    { name: 'chronos-t5-base', parameters: 201_374_976 },
    { name: 'chronos-t5-mini', parameters: 20_457_856 },
    { name: 'chronos-t5-small', parameters: 46_158_336 },
  ];
  const id = (n: number) => n.toString(16).padStart(24, 'a');
  const tasks: AtlasTask[] = [];
  const task = (model: number, dataset: number, analysis: number, state: AtlasTask['state'] = 'done', error?: string) => {
    const t: AtlasTask = { id: id(tasks.length + 1), model, dataset, analysis, seed: null, state, manifest: `tasks/${id(tasks.length + 1)}/task.json` };
    if (error) t.error = error;
    tasks.push(t);
    return t.id;
  };
  const mosaics = models.map((m, mi) => ({ task: task(mi, 0, 0), result: mosaicFixture(m.name, ['cross', 'encoder']) }));
  const induction = mosaics.map((m, mi) => ({ task: m.task, model: mi, dataset: 0, seed: null, threshold: 0.3, counts: { cross: m.result.cross!.counts, encoder: m.result.encoder!.counts } }));
  const ablations = [1, 2].flatMap((dataset) =>
    models.map((m, mi) => ({
      task: task(mi, dataset, 1),
      model: mi,
      dataset,
      seed: null,
      heads: ['cross:L1.H2', 'cross:L2.H5'],
      method: 'zero',
      controls: 20,
      metrics: [
        { name: 'mase', unablated: 0.9 + 0.1 * mi, ablated: 1.4 + 0.2 * mi + 0.1 * dataset, change: 0.5 + 0.1 * mi + 0.1 * dataset, controlsMean: 0.95 + 0.1 * mi, controlsSd: 0.04, percentile: 100, zScore: 11.2 + mi },
        { name: 'wql', unablated: 0.08, ablated: 0.11, change: 0.03, controlsMean: 0.081, controlsSd: 0.002, percentile: 97.5, zScore: 4.2 },
      ],
    })),
  );
  const forecasts = models.map((_, mi) => ({ task: task(mi, 1, 2), model: mi, dataset: 1, seed: null, heldOut: 24, period: 12, mase: 0.8 - 0.05 * mi, wql: 0.06, mae_median: 12.5 }));
  const attributions = [{ task: task(2, 1, 3), model: 2, dataset: 1, target: 'expected', step: 0, total: 0.42, top: [{ component: 'cross:L1.H2', value: 0.31 }, { component: 'decoder:L0.ff', value: -0.12 }] }];
  task(1, 2, 2, 'failed', 'AirPassengers.csv column "y": 10 numeric values; 24 are held out');
  task(0, 2, 3, 'pending');
  const counts = { pending: 1, running: 0, done: tasks.length - 2, failed: 1 };
  const atlas: AtlasSummary = {
    format: ATLAS_FORMAT,
    name: 'sizes',
    toolVersion: '0.1.0',
    complete: false,
    counts,
    models: models.map((m) => ({ label: m.name, identity: `hub:amazon/${m.name}@main`, parameters: m.parameters, encoderLayers: SIZES[m.name].layers, decoderLayers: SIZES[m.name].layers, heads: SIZES[m.name].heads, dModel: SIZES[m.name].dModel })),
    datasets: [{ label: 'reference protocol', kind: 'reference' }, { label: 'AirPassengers.csv', kind: 'csv', column: 'y' }, { label: 'ETTh1.csv', kind: 'csv', column: 'OT' }],
    analyses: [{ type: 'mosaic' }, { type: 'ablate' }, { type: 'forecast' }, { type: 'attribute' }],
    tasks,
    induction,
    ablations,
    forecasts,
    attributions,
  };
  return { atlas, mosaics };
}

/**
 * A residual-stream run of the bundled chronos-t5-nano: real outputs of `chronos-lens attribute
 * samples/periodic.csv --step 2`, `layer-lens --steps 12`, `patch samples/periodic.csv --steps 4` and
 * `ablate --layer-sweep --batch 8` (test/fixtures/causal-view/), for the renderers' tests.
 */
export function causalRunFixture(): import('../../protocol').CausalRun {
  const dir = path.resolve(__dirname, '../fixtures/causal-view');
  const read = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  return {
    label: 'periodic.csv · value · step 2',
    series: { file: 'periodic.csv', column: 'value' },
    attribution: read('attribution.json'),
    layerLens: read('layer-lens.json'),
    patching: read('patching.json'),
    layerAblation: read('layer-sweep.json'),
    marked: [{ kind: 'cross', layer: 1, head: 2 }],
  };
}
