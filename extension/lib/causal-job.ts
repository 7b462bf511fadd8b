/**
 * The causal runs the extension starts (Attribute Forecast…, Patch Activations…, Ablate Layers…, and
 * the series view's and the mosaic's shortcuts to them): what each asks for, checked, and run on the
 * analysis engine (imported lazily: the first command pays for it). Each returns the CausalRun the
 * residual-stream panel shows. vscode-free.
 */
import type { AttributionTarget, HeadRef, LayerPart, LayerStack, PatchMapKind } from '../../analysis/types';
import type { CsvSeries } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import type { RunControl } from '../../core/progress';
import type { ChronosModel } from '../../models/model';
import type { CausalRun } from '../../protocol/causal';

export const ATTRIBUTION_TARGETS: readonly AttributionTarget[] = ['logit', 'logprob', 'expected'];
export const PATCH_MAPS: readonly PatchMapKind[] = ['heads', 'headPos', 'resid'];
export type SeriesCorruption = 'shift' | 'noise' | 'spike' | 'swap';
export const SERIES_CORRUPTIONS: readonly SeriesCorruption[] = ['shift', 'noise', 'spike', 'swap'];

/** The per-layer lens shows at least this many steps (or the whole prediction length when shorter). */
export const LENS_MIN_STEPS = 24;

function seriesLabel(s: CsvSeries): string {
  return `${s.file} · ${s.column}`;
}

export interface AttributionRequest {
  series: CsvSeries;
  /** Forecast step, 0-based. */
  step: number;
  target: AttributionTarget;
}

/** Direct attribution at one forecast step, with the per-layer lens over the steps up to it (and beyond, to LENS_MIN_STEPS). */
export async function runAttributionJob(model: ChronosModel, req: AttributionRequest, control: RunControl): Promise<CausalRun> {
  const pl = model.config.chronos.predictionLength;
  if (!Number.isInteger(req.step) || req.step < 0 || req.step >= pl) throw new ChronosLensError('BAD_INPUT', `the forecast step must be a whole number from 0 to ${pl - 1} (${model.name} forecasts ${pl} steps at once), got ${req.step}`);
  if (!ATTRIBUTION_TARGETS.includes(req.target)) throw new ChronosLensError('BAD_INPUT', `the attribution target must be one of ${ATTRIBUTION_TARGETS.join(', ')}, got ${JSON.stringify(req.target)}`);
  const { attribute } = await import('../../analysis/causal/attribution');
  const { layerLens } = await import('../../analysis/causal/layer-lens');
  const label = `${seriesLabel(req.series)} column "${req.series.column}"`;
  control.onProgress?.({ fraction: 0, message: `attributing step ${req.step}` });
  const attribution = await attribute(model, { values: req.series.values, label, step: req.step, target: req.target, signal: control.signal });
  control.onProgress?.({ fraction: 0.5, message: 'reading out every decoder layer' });
  const steps = Math.min(pl, Math.max(req.step + 1, LENS_MIN_STEPS));
  const lens = await layerLens(model, { values: req.series.values, label, steps, signal: control.signal });
  control.onProgress?.({ fraction: 1 });
  return { label: `${seriesLabel(req.series)} · ${req.target} at step ${req.step}`, series: { file: req.series.file, column: req.series.column }, attribution, layerLens: lens };
}

export interface PatchRequest {
  /** A series window against its corruption; none: repeated random tokens against a non-repeating control. */
  series?: CsvSeries;
  corrupt: SeriesCorruption;
  /** Forecast steps scored (series only). */
  steps: number;
  /** Pairs of the token protocol. */
  pairs: number;
  maps: PatchMapKind[];
  /** Heads patched together as one set (besides the maps), and outlined in the maps. */
  heads?: HeadRef[];
}

export async function runPatchJob(model: ChronosModel, req: PatchRequest, control: RunControl): Promise<CausalRun> {
  if (!req.maps.length && !req.heads?.length) throw new ChronosLensError('BAD_INPUT', 'nothing to patch: choose a map (heads, headPos, resid) or a head');
  for (const m of req.maps) if (!PATCH_MAPS.includes(m)) throw new ChronosLensError('BAD_INPUT', `unknown patching map "${m}" (expected ${PATCH_MAPS.join(', ')})`);
  if (req.series && !SERIES_CORRUPTIONS.includes(req.corrupt)) throw new ChronosLensError('BAD_INPUT', `the corruption must be one of ${SERIES_CORRUPTIONS.join(', ')}, got ${JSON.stringify(req.corrupt)}`);
  const { runPatching } = await import('../../analysis/causal/patching');
  const { seriesPatchInputs, tokenPatchInputs } = await import('../../analysis/causal/patch-inputs');
  const s = req.series;
  const inputs = s ? await seriesPatchInputs(model, { values: s.values, label: `${s.file} column "${s.column}"`, file: s.file, column: s.column }, { corrupt: req.corrupt, steps: req.steps }) : tokenPatchInputs(model, { batch: req.pairs });
  const headSets = req.heads?.length ? [req.heads] : undefined;
  const patching = await runPatching(model, inputs.pairs, {
    maps: req.maps,
    headSets,
    description: inputs.description,
    parameters: inputs.parameters,
    seeds: inputs.seeds,
    signal: control.signal,
    onProgress: control.onProgress,
  });
  const what = s ? `${seriesLabel(s)} · ${req.corrupt}` : `repeated tokens · ${inputs.pairs.length} pairs`;
  const run: CausalRun = { label: `Patching · ${what}`, patching };
  if (s) run.series = { file: s.file, column: s.column };
  if (req.heads?.length) run.marked = req.heads;
  return run;
}

export interface LayerAblationRequest {
  /** Layer sets, one variant each (from parseLayers), or a sweep of `sweep` over `stacks`. */
  sets?: { stack: LayerStack; layer: number; part: LayerPart }[][];
  sweep?: LayerPart;
  stacks: LayerStack[];
  inductionLoss: boolean;
  series?: CsvSeries;
  /** Points held out for the forecast metrics (0: the model's prediction length). */
  heldOut: number;
  seed: number;
}

export async function runLayerAblationJob(model: ChronosModel, req: LayerAblationRequest, control: RunControl): Promise<CausalRun> {
  if (!req.inductionLoss && !req.series) throw new ChronosLensError('BAD_INPUT', 'nothing to measure: choose the induction loss or a CSV column');
  const { runLayerAblation, sweepSets } = await import('../../analysis/causal/layer-ablation');
  const sets = req.sweep !== undefined ? sweepSets(model, req.stacks, req.sweep) : req.sets;
  if (!sets?.length) throw new ChronosLensError('BAD_INPUT', 'no layers to ablate');
  const s = req.series;
  const layerAblation = await runLayerAblation(model, {
    sets,
    sweep: req.sweep !== undefined,
    induction: req.inductionLoss ? {} : false,
    series: s ? { values: s.values, file: s.file, column: s.column, heldOut: req.heldOut > 0 ? req.heldOut : undefined, seed: req.seed } : undefined,
    signal: control.signal,
    onProgress: control.onProgress,
  });
  const what = req.sweep !== undefined ? `sweep of ${req.sweep === 'all' ? 'whole layers' : `each layer's ${req.sweep}`}` : `${sets.length} layer set${sets.length === 1 ? '' : 's'}`;
  const run: CausalRun = { label: `Layer ablation · ${what}${s ? ` · ${seriesLabel(s)}` : ''}`, layerAblation };
  if (s) run.series = { file: s.file, column: s.column };
  return run;
}
