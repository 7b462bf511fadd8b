/**
 * chronos-lens ablate --layers / --layer-sweep: skip whole layers or their attention / feed-forward
 * blocks (the residual passes through) and measure the induction loss (Chronos-T5) or the copy loss
 * (Chronos-Bolt, --copy-loss) and, with --csv, forecast errors, against the unablated model. `ablate`
 * hands its arguments here when either flag is present.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { LayerAblationResult, LayerPart, LayerStack, layerCounts, parseLayers, runLayerAblation, sweepSets } from '../../analysis/causal/layer-ablation';
import { CliIO, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, strings } from '../common';
import { defaultModelDir } from '../paths';
import { ABLATE_DATA_OPTIONS, copyLossLine, readCopyFlags, readInductionFlags, readSeriesFlags } from './ablate-data';
import { isBolt } from '../../models/load';
import { causalOutUsage, checkCausalOut, fmt, writeCausalOut } from './causal-common';

export const usage = `chronos-lens ablate (--layers SET [--layers SET ...] | --layer-sweep [BLOCK]) [options]

Layer ablation: skip whole encoder / decoder layers, or one block of them (the residual stream passes
through unchanged), and measure the induction loss (and its non-repeating control; Chronos-T5) or the
copy loss (and its control; Chronos-Bolt, with --copy-loss) and, with --csv, MASE / WQL / MAE of the
median on held-out points, against the unablated model.

  --layers SET           a set skipped together: <stack>:L<layer>[.<block>], comma-separated, e.g.
                         encoder:L0,decoder:L1.ff; stack encoder|decoder (enc, dec); block all (default),
                         attention (both attentions in the decoder), self, cross, ff. Repeat for more sets
  --layer-sweep [BLOCK]  each layer in turn (BLOCK as above, default all; cross sweeps decoder layers)
  --stack encoder|decoder|both   the stacks the sweep covers (default both)
  --batch N --seq-len N --repeats N --sub-extension N --vocab A:B --token-seed N   the induction batch
  --no-induction         skip the induction loss (needs --csv)
  --copy-loss            Chronos-Bolt: the copy loss on repeated random patches (docs/patch-mosaic.md);
                         --batch --seq-len (patches per repeat) --repeats --sub-extension --token-seed
                         shape it, or --copy-period V values per repeat
  --csv FILE --column NAME  --held-out N --period P --samples N --forecast-seed N   forecast metrics
                         (a Bolt model has no sampling: --samples and --forecast-seed are T5's)
  --json                 print the result as JSON
${causalOutUsage(25)}
  --model DIR            Chronos-T5 or Chronos-Bolt checkpoint (default: the bundled chronos-t5-nano)`;

/** True when `ablate` should hand its arguments to this command. */
export function wantsLayers(argv: string[]): boolean {
  return argv.some((a) => a === '--layers' || a.startsWith('--layers=') || a === '--layer-sweep' || a.startsWith('--layer-sweep='));
}

export function layerAblationText(r: LayerAblationResult): string {
  const names = Object.keys(r.unablated);
  const rows = [['variant', ...names], ['unablated', ...names.map((n) => fmt(r.unablated[n]))], ...r.variants.map((v) => [v.label, ...names.map((n) => `${fmt(v.values[n])} (${v.values[n] - r.unablated[n] >= 0 ? '+' : ''}${fmt(v.values[n] - r.unablated[n])})`)])];
  const w = rows[0].map((_, i) => Math.max(...rows.map((x) => x[i].length)));
  const csv = r.data.csv;
  return [
    `${r.model.name} · layer ablation${r.sweep ? ' sweep' : ''} · ${r.variants.length} variant${r.variants.length === 1 ? '' : 's'}`,
    copyLossLine(r.data.copyLoss),
    csv ? `forecast metrics on ${csv.file} column "${csv.column}": last ${csv.heldOut} points held out, MASE period ${csv.period}` : '',
    ...rows.map((x) => x.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')),
  ].filter(Boolean).join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  // `--layer-sweep` takes an optional block: a bare flag is given 'all'.
  const args = argv.flatMap((a, i) => (a === '--layer-sweep' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) ? ['--layer-sweep=all'] : [a]));
  const { values, positionals } = parse(args, {
    ...MODEL_OPTIONS,
    layers: { type: 'string', multiple: true },
    ...strings('layer-sweep', 'stack'),
    ...ABLATE_DATA_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length) throw new ChronosLensError('BAD_INPUT', `ablate takes no positional arguments, got ${positionals.join(' ').slice(0, 80)} (a CSV goes after --csv)`);
  const sweep = values['layer-sweep'];
  if ((values.layers?.length ?? 0) > 0 === (sweep !== undefined)) throw new ChronosLensError('BAD_INPUT', 'give --layers SET or --layer-sweep, not both');
  if (values.stack !== undefined && sweep === undefined) throw new ChronosLensError('BAD_INPUT', '--stack goes with --layer-sweep');
  const parts: LayerPart[] = ['all', 'attention', 'self', 'cross', 'ff'];
  if (sweep !== undefined && !parts.includes(sweep as LayerPart)) throw new ChronosLensError('BAD_INPUT', `--layer-sweep takes a block: ${parts.join(', ')}; got ${JSON.stringify(sweep.slice(0, 40))}`);
  const stack = values.stack ?? 'both';
  if (!['encoder', 'decoder', 'both'].includes(stack)) throw new ChronosLensError('BAD_INPUT', `--stack must be encoder, decoder or both, got ${JSON.stringify(stack.slice(0, 40))}`);
  const seriesFlags = readSeriesFlags(values);
  const induction = readInductionFlags(values);
  const copy = readCopyFlags(values, induction);
  await checkCausalOut(values.out, [values.csv], values.model);
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 't5-bolt', command: 'ablate --layers' });
  const bar = progressBar(io, 'ablate');
  try {
    await checkCausalOut(values.out, [values.csv], values.model, model.checkpoint.dir);
    const bolt = isBolt(model);
    if (copy && !bolt) throw new ChronosLensError('BAD_INPUT', `--copy-loss: ${model.name} is a Chronos-T5 model, measured by the induction loss (on by default); the copy loss is Chronos-Bolt's`);
    if (bolt) {
      const batchFlags = copy ? [] : (['batch', 'seq-len', 'repeats', 'sub-extension', 'token-seed'] as const);
      const unsupported = (['vocab', 'no-induction', 'samples', 'forecast-seed', ...batchFlags] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      if (unsupported.length) throw new ChronosLensError('BAD_INPUT', `${unsupported.join(', ')}: not available for ${model.name}, a Chronos-Bolt model (no tokens for an induction loss, no sampling; the batch flags go with --copy-loss); leave ${unsupported.length > 1 ? 'them' : 'it'} out`);
      if (!copy && !values.csv) throw new ChronosLensError('BAD_INPUT', `give --copy-loss and / or --csv FILE: ${model.name} is a Chronos-Bolt model, measured by the copy loss on repeated random patches or on the held-out end of a CSV column`);
    }
    const counts = layerCounts(model);
    const stacks: LayerStack[] = stack === 'both' ? ['encoder', 'decoder'] : [stack as LayerStack];
    const sets = sweep !== undefined ? sweepSets(model, stacks, sweep as LayerPart) : values.layers!.map((s) => parseLayers(s, counts));
    let series;
    if (values.csv) {
      const s = await readCsvFile(values.csv, { column: values.column, signal: io.signal });
      for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
      series = { values: s.values, file: path.basename(values.csv), column: s.column, ...seriesFlags };
    }
    const r = await runLayerAblation(model, { sets, sweep: sweep !== undefined, induction: bolt || values['no-induction'] ? false : induction, copyLoss: copy, series, signal: io.signal, onProgress: bar.onProgress });
    bar.done();
    const csv = r.data.csv;
    await writeCausalOut(values.out, { label: `Layer ablation${r.sweep ? ' sweep' : ''}${csv ? ` · ${csv.file} · ${csv.column}` : ''}`, ...(csv ? { series: { file: csv.file, column: csv.column } } : {}), layerAblation: r }, 'layerAblation');
    if (values.json) printJson(io, r);
    else io.stdout.write(layerAblationText(r));
    return 0;
  } finally {
    bar.done();
    await model.dispose();
  }
}
