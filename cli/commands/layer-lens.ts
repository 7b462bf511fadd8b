/**
 * chronos-lens layer-lens FILE: the forecast each decoder layer would make (its residual through the
 * final norm and the LM head, or Chronos-Bolt's quantile head), so one sees at which depth the forecast
 * settles.
 */
import { ChronosLensError } from '../../core/errors';
import { BOUNDS } from '../../core/limits';
import { LayerLensResult, layerLens, layerLensBolt } from '../../analysis/causal/layer-lens';
import { isBolt } from '../../models/load';
import { CliIO, MODEL_OPTIONS, floatFlag, intFlag, loadModelFromFlags, parse, printJson } from '../common';
import { defaultModelDir } from '../paths';
import { causalOutUsage, checkCausalOut, fmt, readSeries, writeCausalOut } from './causal-common';

export const usage = `chronos-lens layer-lens FILE.csv [--column NAME] [--steps N] [--levels 0.1,0.5,0.9] [--json]

Per-layer forecast lens ("logit lens"): the decoder residual after each layer read out through the
final RMS norm and the LM head, as forecast quantiles per layer and step (series units), with the
KL divergence to the last layer's distribution. The decoder is teacher-forced on the full model's
median path, so the last layer is the model's own median forecast.

  --steps N        forecast steps (default: the model's prediction length)
  --levels LIST    quantile levels (default 0.1,...,0.9)
  --json           print the result as JSON (layers[].quantiles[level][step], mean, klToFinal)
${causalOutUsage(19)}
  --model DIR      Chronos-T5 or Chronos-Bolt checkpoint (default: the bundled chronos-t5-nano)

On a Chronos-Bolt model the one decoder token's residual after each decoder layer goes through the final
RMS norm and the quantile head: every level of the model for the whole prediction_length per layer (no
median path: one pass forecasts every step), and gapToFinal (the mean |quantile - the last layer's| per
step, series units) in place of the KL divergence; --steps and --levels are Chronos-T5's.`;

export function layerLensText(r: LayerLensResult): string {
  const mid = r.quantileLevels.indexOf(0.5);
  const show = Math.min(r.steps, 8);
  const gap = !r.layers[0]?.klToFinal;
  const lines = [`${r.model.name} · ${r.steps} steps · per decoder layer: ${mid >= 0 ? 'median' : 'mean'} of the first ${show} steps, and ${gap ? 'the mean gap to the last layer\'s quantiles' : 'mean KL to the last layer'}`];
  for (const l of r.layers) {
    const row = (mid >= 0 ? l.quantiles[mid] : l.mean).slice(0, show).map((v) => fmt(v, 2).padStart(9)).join('');
    const d = (gap ? l.gapToFinal : l.klToFinal) ?? [];
    lines.push(`  L${l.layer}  ${row}   ${gap ? 'gap' : 'KL'} ${fmt(d.reduce((a, b) => a + b, 0) / d.length)}`);
  }
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...MODEL_OPTIONS, column: { type: 'string' }, steps: { type: 'string' }, levels: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const steps = intFlag(values.steps, 'steps', 'forecastSteps');
  let levels: number[] | undefined;
  if (values.levels !== undefined) {
    const items = values.levels.split(',');
    if (items.length > BOUNDS.quantileCount.max) throw new ChronosLensError('BAD_INPUT', `--levels lists ${items.length} levels, at most ${BOUNDS.quantileCount.max}`);
    levels = items.map((x) => floatFlag(x, 'levels', 'lensLevel')!);
  }
  await checkCausalOut(values.out, positionals, values.model);
  const series = await readSeries(positionals, values.column, io, 'layer-lens');
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 't5-bolt', command: 'layer-lens' });
  try {
    await checkCausalOut(values.out, positionals, values.model, model.checkpoint.dir);
    if (isBolt(model)) {
      const t5Only = (['steps', 'levels'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      if (t5Only.length) throw new ChronosLensError('BAD_INPUT', `${t5Only.join(', ')}: not available for ${model.name}, a Chronos-Bolt model (one pass forecasts every step at the model's own levels)`);
    }
    const r = isBolt(model) ? await layerLensBolt(model, { values: series.values, label: series.label, signal: io.signal }) : await layerLens(model, { values: series.values, label: series.label, steps, quantileLevels: levels, signal: io.signal });
    await writeCausalOut(values.out, { label: `Per-layer forecast · ${series.label}`, series: { file: series.file, column: series.column }, layerLens: r }, 'layerLens');
    if (values.json) printJson(io, r);
    else io.stdout.write(layerLensText(r));
    return 0;
  } finally {
    await model.dispose();
  }
}
