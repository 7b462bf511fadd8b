/**
 * chronos-lens ablate: ablate a head set (explicit, or the top-k of an induction mosaic) and measure the
 * induction loss (with a non-repeating control) and, with --csv, forecast errors on held-out points,
 * against the unablated model and seeded random control sets of the same size.
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError, userMessage } from '../../core/errors';
import { AblationMethod, checkAblationSize, runAblation } from '../../analysis/ablation';
import { formatHead, headGrid, parseHeads, topHeads } from '../../analysis/heads';
import { runMosaic } from '../../analysis/mosaic';
import { PROTOCOL_DEFAULTS } from '../../analysis/tokens';
import { AblationResult, MosaicResult } from '../../analysis/types';
import { CliIO, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, protectedModelDirs, strings } from '../common';
import { outKind, renderAblationFigure, writeResultOut } from '../figures';
import { checkOutputPath } from '../../core/files';
import { shown } from '../../core/limits';
import { defaultModelDir } from '../paths';
import { parseKinds } from './mosaic';
import { wantsLayers } from './ablate-layers';
import { ABLATE_DATA_OPTIONS, readCopyFlags, readInductionFlags, readSeriesFlags } from './ablate-data';
import { boltAblate } from './ablate-bolt';
import { isBolt } from '../../models/load';
import { runPatchMosaic } from '../../analysis/patch-mosaic';
import { promises as fsp } from 'node:fs';

/** A saved mosaic result is a few kilobytes per layer; anything this big is not one. */
const MAX_MOSAIC_FILE = 64 * 1024 * 1024;

export const usage = `chronos-lens ablate (--heads L.H,... | --top K) [options]
       chronos-lens ablate (--layers SET | --layer-sweep [BLOCK]) [options]   (layers: --layers --help)

Ablates attention heads and measures what breaks: the induction loss (cross-entropy of the
continuation of a repeated random sequence, and of a non-repeating control) and, with --csv, MASE,
WQL and MAE of the median on the last held-out points of a column; each against the unablated model
and against random control sets of the same size (percentile, z-score).

Options:
  --heads LIST           heads to ablate, zero-based: L3.H5 (cross-attention), or with a kind:
                         cross:L3.H5, encoder:L0.H2, decoder:L1.H1; comma-separated
  --top K                instead: the K heads with the highest induction-mosaic score
  --kind KIND            for --top: mosaic kinds to rank (cross | encoder | decoder | all; default cross)
  --mosaic FILE.json     for --top: a saved mosaic result (chronos-lens mosaic --out FILE.json)
                         instead of computing the reference mosaic
  --method zero|mean     replace the head's output with 0 or its mean over a reference batch (default zero)
  --controls N           random control sets (default 10)
  --seed N               seed of the control sets (default 0)
  --batch N --seq-len N --repeats N --sub-extension N --vocab A:B --token-seed N
                         the induction-loss batch (defaults: the mosaic protocol's, token seed ${PROTOCOL_DEFAULTS.seed})
  --no-induction         skip the induction loss (needs --csv)
  --copy-loss            Chronos-Bolt: the copy loss (quantile loss of the forecast of the next repeat of
                         repeated random patches, and its control); the batch flags above shape it, with
                         --seq-len in patches per repeat, or --copy-period V values per repeat
  --csv FILE --column NAME   forecast metrics on this column
  --held-out N           points held out at the end (default: the model's prediction length)
  --period P             MASE's seasonal period (default: detected, else 1)
  --samples N            forecast samples (default: the model's num_samples)
  --forecast-seed N      forecast sampling seed, shared by every variant (default 0)
  --json                 print the result as JSON
  --out FILE             write the result: .json (the result), .svg / .png / .html / .csv (report)
  --model DIR            Chronos checkpoint folder (default: the bundled chronos-t5-nano)
  --provider, --threads, --cache-dir, --no-cache, --debug   see chronos-lens --help`;

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : v.toFixed(4);
}

export function ablationText(r: AblationResult): string {
  const head = ['metric', 'unablated', 'ablated', 'change', 'controls (mean ± sd)', 'percentile', 'z'];
  const rows = r.metrics.map((m) => {
    const n = m.controls.length;
    const mean = n ? m.controls.reduce((a, b) => a + b, 0) / n : NaN;
    const sd = n > 1 ? Math.sqrt(m.controls.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
    const change = m.ablated - m.unablated;
    return [m.name, fmt(m.unablated), fmt(m.ablated), `${change >= 0 ? '+' : ''}${fmt(change)}`, n ? `${fmt(mean)} ± ${fmt(sd)}` : '—', Number.isFinite(m.percentile) ? m.percentile.toFixed(0) : '—', Number.isFinite(m.zScore) ? m.zScore.toFixed(2) : '—'];
  });
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  ');
  const csv = r.data.csv;
  return [
    `${r.model.name} · ${r.method} ablation of ${r.heads.map(formatHead).join(', ')} · ${r.controlSets.length} control sets`,
    csv ? `forecast metrics on ${csv.file} column "${csv.column}": last ${csv.heldOut} points held out, MASE period ${csv.period}` : '',
    line(head),
    ...rows.map(line),
  ].filter(Boolean).join('\n') + '\n';
}

/** Writes an ablation result to FILE by its extension (atomically). */
export function writeAblationOut(file: string, result: AblationResult): Promise<void> {
  return writeResultOut(file, result, renderAblationFigure);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  if (wantsLayers(argv)) return (await import('./ablate-layers')).run(argv, io);
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('heads', 'top', 'kind', 'mosaic', 'method', 'controls', 'seed'),
    ...ABLATE_DATA_OPTIONS,
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length) throw new ChronosLensError('BAD_INPUT', `ablate takes no positional arguments, got ${positionals.join(' ')} (a CSV goes after --csv)`);
  const top = intFlag(values.top, 'top', 'topHeads');
  if ((values.heads === undefined) === (top === undefined)) throw new ChronosLensError('BAD_INPUT', 'give --heads L.H,... or --top K');
  if ((values.kind || values.mosaic) && top === undefined) throw new ChronosLensError('BAD_INPUT', '--kind and --mosaic go with --top');
  const method = (values.method ?? 'zero') as AblationMethod;
  if (method !== 'zero' && method !== 'mean') throw new ChronosLensError('BAD_INPUT', `--method must be zero or mean, got ${shown(values.method)}`);
  const seriesFlags = readSeriesFlags(values);
  const induction = readInductionFlags(values);
  const copy = readCopyFlags(values, induction);
  const controls = intFlag(values.controls, 'controls', 'controls') ?? 10;
  const controlSeed = intFlag(values.seed, 'seed', 'seed') ?? 0;
  if (values.out) outKind(values.out);
  const guard = { name: '--out', inputs: [values.csv, values.mosaic], protectedDirs: protectedModelDirs(values.model) };
  if (values.out) await checkOutputPath(values.out, guard);
  let saved: MosaicResult | undefined;
  if (values.mosaic) {
    try {
      const st = await fsp.stat(values.mosaic);
      if (!st.isFile()) throw new Error('not a regular file');
      if (st.size > MAX_MOSAIC_FILE) throw new Error(`${st.size} bytes; a mosaic result is far smaller`);
      saved = JSON.parse(await fsp.readFile(values.mosaic, 'utf8')) as MosaicResult;
    } catch (e) {
      throw new ChronosLensError('BAD_INPUT', `--mosaic ${values.mosaic}: cannot read a mosaic result (${userMessage(e)})`);
    }
  }
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 't5-bolt', command: 'ablate' });
  if (isBolt(model)) {
    try {
      // the batch flags shape the patch mosaic of --top and the copy loss; the rest are Chronos-T5's
      const batchFlags = ['batch', 'seq-len', 'repeats', 'sub-extension', 'token-seed'] as const;
      const ranking = ['kind', 'mosaic'] as const;
      const t5Only = ['vocab', 'no-induction', 'samples', 'forecast-seed', 'out', ...(top === undefined ? ranking : []), ...(top === undefined && !copy ? batchFlags : [])] as const;
      const unsupported = t5Only.filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      let headRefs;
      if (top !== undefined && !unsupported.length && (values.csv || copy)) {
        const kinds = values.kind ? parseKinds(values.kind) : ['cross' as const];
        if (saved?.model?.hash && saved.model.hash !== (await model.hash())) io.stderr.write(`warning: ${values.mosaic} was computed with another model (${saved.model.name}); ranking its heads anyway\n`);
        const patches = { batch: induction.batch, patchesPerRepeat: induction.seqLen, repeats: induction.repeats, subExtension: induction.subExtension, seed: induction.seed };
        headRefs = topHeads(saved ?? (await runPatchMosaic(model, { ...patches, kinds, signal: io.signal })), top, { kinds });
      }
      return await boltAblate(model, { heads: values.heads, headRefs, method, controls, controlSeed, copyLoss: copy, csv: values.csv, column: values.column, heldOut: seriesFlags.heldOut, period: seriesFlags.period, json: values.json, unsupported }, io);
    } finally {
      await model.dispose();
    }
  }
  if (copy) {
    await model.dispose();
    throw new ChronosLensError('BAD_INPUT', `--copy-loss: ${model.name} is a Chronos-T5 model, measured by the induction loss (on by default); the copy loss is Chronos-Bolt's`);
  }
  const bar = progressBar(io, 'ablate');
  try {
    if (values.out) await checkOutputPath(values.out, { ...guard, protectedDirs: [...guard.protectedDirs, model.checkpoint.dir] });
    // before the ranking mosaic of --top, so an experiment too big to run is refused at once
    checkAblationSize(model, { induction: values['no-induction'] ? false : induction, series: values.csv ? seriesFlags : undefined }, controls);
    const grid = headGrid(model.config);
    let heads;
    if (values.heads !== undefined) heads = parseHeads(values.heads, grid);
    else {
      const kinds = values.kind ? parseKinds(values.kind) : ['cross' as const];
      let mosaic = saved;
      if (mosaic && mosaic.model?.hash && mosaic.model.hash !== (await model.hash())) {
        io.stderr.write(`warning: ${values.mosaic} was computed with another model (${mosaic.model.name}); ranking its heads anyway\n`);
      }
      if (!mosaic) {
        mosaic = await runMosaic(model, { kinds, batch: induction.batch, seqLen: induction.seqLen, repeats: induction.repeats, subExtension: induction.subExtension, vocab: induction.vocab, seed: induction.seed, signal: io.signal });
      }
      heads = topHeads(mosaic, top!, { kinds });
    }
    let series;
    if (values.csv) {
      const s = await readCsvFile(values.csv, { column: values.column, signal: io.signal });
      for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
      series = {
        values: s.values,
        file: path.basename(values.csv),
        column: s.column,
        ...seriesFlags,
      };
    }
    const result = await runAblation(model, {
      heads,
      method,
      controls,
      controlSeed,
      induction: values['no-induction'] ? false : induction,
      series,
      signal: io.signal,
      onProgress: bar.onProgress,
    });
    bar.done();
    if (values.out) await writeAblationOut(values.out, result);
    if (values.json) printJson(io, result);
    else io.stdout.write(ablationText(result));
    return 0;
  } finally {
    bar.done();
    await model.dispose();
  }
}
