/**
 * chronos-lens mosaic: induction mosaics (cross, encoder and decoder attention) on the background
 * article's repeated-random-tokens protocol, on a saved token batch, or on windows of a CSV column;
 * on a Chronos-Bolt or Chronos-2 model, the patch protocol (analysis/patch-mosaic.ts, docs/patch-mosaic.md).
 */
import * as path from 'node:path';
import { readCsvFile } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import { DEFAULT_THRESHOLD, mosaicTokenBatch, runMosaic } from '../../analysis/mosaic';
import { PROTOCOL_DEFAULTS, readTokenBatch, writeTokenBatch } from '../../analysis/tokens';
import { PATCH_MOSAIC_KINDS, patchMosaicBatch, runPatchMosaic } from '../../analysis/patch-mosaic';
import { PATCH_PROTOCOL_DEFAULTS, readPatchBatch, writePatchBatch } from '../../analysis/patch-batch';
import { ATTENTION_KINDS, AttentionKind, MosaicKind, MosaicResult } from '../../analysis/types';
import { isBolt, isChronos2 } from '../../models/load';
import { mosaicSource } from '../../webview/render/format';
import { CliIO, floatFlag, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, protectedModelDirs, strings, vocabFlag } from '../common';
import { outKind, renderMosaicFigure, writeResultOut } from '../figures';
import { checkOutputPath } from '../../core/files';
import { defaultModelDir } from '../paths';

export const usage = `chronos-lens mosaic [options]

Induction mosaics: for every head, the attention to the latest earlier copy of the current token
("center") and to the token after it ("right"), averaged over a batch of repeated random tokens
(the background article's protocol), with standard errors and the heads above a threshold.

On a Chronos-Bolt or Chronos-2 model the protocol runs on patches (docs/patch-mosaic.md): --seq-len random
patches of iid normal values (default ${PATCH_PROTOCOL_DEFAULTS.patchesPerRepeat}) or --period values, repeated, then --sub-extension
patches; kinds cross and encoder; --tokens / --save-tokens read and write a patch batch. On Chronos-2,
encoder is the time self-attention among the context patches and cross the first output-patch token's
time attention (the forecast token; each context forecast alone).

Options:
  --model DIR            Chronos checkpoint folder (default: the bundled chronos-t5-nano), or a Chronos-2
                         LoRA adapter folder (--base DIR: its base model)
  --kind KIND            cross | encoder | decoder | all (default all)
  --batch N              sequences (default ${PROTOCOL_DEFAULTS.batch})
  --seq-len N            random tokens per sequence (default ${PROTOCOL_DEFAULTS.seqLen})
  --repeats N            times the sequence is repeated (default ${PROTOCOL_DEFAULTS.repeats})
  --sub-extension N      tokens of the sequence repeated once more before EOS (default ${PROTOCOL_DEFAULTS.subExtension})
  --vocab A:B            inclusive token-id range (default ${PROTOCOL_DEFAULTS.vocab[0]}:${PROTOCOL_DEFAULTS.vocab[1]})
  --seed N               random seed (default ${PROTOCOL_DEFAULTS.seed})
  --tokens FILE          run on a saved token batch (chronos-lens-token-batch JSON) instead
  --save-tokens FILE     save the token batch used (to rerun it here or in another implementation)
  --csv FILE --column NAME   data-driven variant: windows of a CSV column instead of random ids
  --period N             Chronos-Bolt and Chronos-2: values per repeat, when not a whole number of patches
                         (the sub-patch variant; excludes --seq-len)
  --threshold X          count heads with a score >= X (default ${DEFAULT_THRESHOLD})
  --json                 print the result as JSON
  --out FILE             write the result: .json (the result), .svg / .png / .html (figure),
                         .csv (the numbers), .plotly.json (a Plotly figure)
  --provider, --threads, --cache-dir, --no-cache, --debug   see chronos-lens --help`;

export function parseKinds(v: string | undefined): AttentionKind[] {
  if (v === undefined || v === 'all') return [...ATTENTION_KINDS];
  const kinds = v.split(',').map((s) => s.trim());
  for (const k of kinds) if (!(ATTENTION_KINDS as readonly string[]).includes(k)) throw new ChronosLensError('BAD_INPUT', `--kind must be cross, encoder, decoder or all, got "${k}"`);
  return kinds as AttentionKind[];
}

const KIND_TITLE: Record<AttentionKind, string> = { cross: 'cross-attention (decoder layers)', encoder: 'encoder self-attention', decoder: 'decoder self-attention' };
/** Chronos-2 has no decoder: its kinds are read off the time attention of its encoder layers. */
const CHRONOS2_KIND_TITLE: Record<AttentionKind, string> = { ...KIND_TITLE, cross: "forecast token's time attention (first output patch)", encoder: 'time self-attention among the context patches' };

function grid(m: MosaicKind, threshold: number): string {
  const cell = (v: number) => `${v.toFixed(3)}${v >= threshold ? '*' : ' '}`;
  const heads = Array.from({ length: m.heads }, (_, h) => `H${h}`.padStart(7)).join('');
  const lines = [`       center${' '.repeat(Math.max(0, m.heads * 7 - 6))}   right`, `     ${heads}   ${heads}`];
  for (let l = 0; l < m.layers; l++) {
    lines.push(`L${String(l).padEnd(3)} ${m.center[l].map((v) => cell(v).padStart(7)).join('')}   ${m.right[l].map((v) => cell(v).padStart(7)).join('')}`);
  }
  return lines.join('\n');
}

export function mosaicText(r: MosaicResult, titles: Record<AttentionKind, string> = KIND_TITLE): string {
  const p = r.protocol;
  const src = p.patch
    ? `${mosaicSource(p)} · batch ${p.batch} · repeats ${p.repeats} · sub-extension ${p.subExtension} patches · ${p.patch.contextLength} values`
    : `${p.source === 'series' && p.series ? `windows of ${p.series.file} column "${p.series.column}" (scale ${p.series.scale.toPrecision(4)})` : `random ids ${p.vocab?.[0]}..${p.vocab?.[1]}`} · batch ${p.batch} · seq len ${p.seqLen} · repeats ${p.repeats} · sub-extension ${p.subExtension}`;
  const out = [
    `${r.model.name} · ${src} · seed ${p.seed}${p.tokensFile ? ` · batch file ${p.tokensFile}` : ''}`,
    '',
  ];
  for (const k of ATTENTION_KINDS) {
    const m = r[k];
    if (!m) continue;
    out.push(`${titles[k]} (* = score >= ${r.threshold})`, grid(m, r.threshold), '');
  }
  out.push(`induction heads (score >= ${r.threshold}): center / right / total (percent of heads)`);
  for (const k of ATTENTION_KINDS) {
    const c = r[k]?.counts;
    if (c) out.push(`  ${k.padEnd(8)} ${c.center} / ${c.right} / ${c.total} (${c.percent.toFixed(1)}% of ${c.heads})`);
  }
  return out.join('\n') + '\n';
}

/** Writes a mosaic result to FILE by its extension (atomically). */
export function writeMosaicOut(file: string, result: MosaicResult): Promise<void> {
  return writeResultOut(file, result, renderMosaicFigure);
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('kind', 'batch', 'seq-len', 'period', 'repeats', 'sub-extension', 'vocab', 'seed', 'tokens'),
    ...strings('save-tokens', 'csv', 'column', 'threshold'),
    json: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  if (positionals.length) throw new ChronosLensError('BAD_INPUT', `mosaic takes no positional arguments, got ${positionals.join(' ')} (a CSV goes after --csv)`);
  const threshold = floatFlag(values.threshold, 'threshold', 'threshold') ?? DEFAULT_THRESHOLD;
  const shape = {
    batch: intFlag(values.batch, 'batch', 'mosaicBatch'),
    seqLen: intFlag(values['seq-len'], 'seq-len', 'seqLen'),
    repeats: intFlag(values.repeats, 'repeats', 'repeats'),
    subExtension: intFlag(values['sub-extension'], 'sub-extension', 'subExtension'),
    vocab: vocabFlag(values.vocab),
    seed: intFlag(values.seed, 'seed', 'seed'),
  };
  const period = intFlag(values.period, 'period', 'mosaicPeriod');
  if (period !== undefined && shape.seqLen !== undefined) throw new ChronosLensError('BAD_INPUT', '--period (values per repeat) and --seq-len (patches per repeat) name the same thing; give one');
  // a token or whole-patch repeat: the extension is a part of it (the sub-patch variant checks against its period later)
  if (period === undefined && shape.subExtension !== undefined && shape.subExtension >= (shape.seqLen ?? PROTOCOL_DEFAULTS.seqLen)) {
    throw new ChronosLensError('BAD_INPUT', `--sub-extension must be smaller than --seq-len (${shape.seqLen ?? PROTOCOL_DEFAULTS.seqLen}), got ${shape.subExtension}`);
  }
  if (values.tokens) {
    const clash = Object.entries({ batch: shape.batch, 'seq-len': shape.seqLen, period, repeats: shape.repeats, 'sub-extension': shape.subExtension, vocab: shape.vocab, seed: shape.seed, csv: values.csv })
      .filter(([, v]) => v !== undefined)
      .map(([k]) => `--${k}`);
    if (clash.length) throw new ChronosLensError('BAD_INPUT', `--tokens fixes the batch; drop ${clash.join(', ')}`);
  }
  if (values.column && !values.csv) throw new ChronosLensError('BAD_INPUT', '--column needs --csv FILE');
  if (values.csv && shape.vocab) throw new ChronosLensError('BAD_INPUT', '--vocab applies to random tokens, not to --csv windows');
  if (values.out) outKind(values.out);
  const guard = { inputs: [values.csv, values.tokens], protectedDirs: protectedModelDirs(values.model) };
  if (values.out) await checkOutputPath(values.out, { name: '--out', ...guard, otherOutputs: [{ name: '--save-tokens', file: values['save-tokens'] }] });
  if (values['save-tokens']) await checkOutputPath(values['save-tokens'], { name: '--save-tokens', ...guard });
  let series: { values: Float64Array; file: string; column: string } | undefined;
  if (values.csv) {
    const s = await readCsvFile(values.csv, { column: values.column, signal: io.signal });
    for (const w of s.warnings) io.stderr.write(`warning: ${w}\n`);
    series = { values: s.values, file: path.basename(values.csv), column: s.column };
  }
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 'any' });
  const bar = progressBar(io, 'mosaic');
  try {
    // --model may have named a hub id: its snapshot folder is known only now
    const resolved = { ...guard, protectedDirs: [...guard.protectedDirs, model.checkpoint.dir] };
    if (values.out) await checkOutputPath(values.out, { name: '--out', ...resolved });
    if (values['save-tokens']) await checkOutputPath(values['save-tokens'], { name: '--save-tokens', ...resolved });
    let result: MosaicResult;
    if (isBolt(model) || isChronos2(model)) {
      if (shape.vocab) throw new ChronosLensError('BAD_INPUT', `--vocab: ${model.name} is a ${isBolt(model) ? 'Chronos-Bolt' : 'Chronos-2'} model, which reads values, not token ids; leave it out`);
      const kinds = values.kind === undefined || values.kind === 'all' ? [...PATCH_MOSAIC_KINDS] : parseKinds(values.kind);
      const batchData = values.tokens ? await readPatchBatch(values.tokens) : undefined;
      const opts = { ...shape, patchesPerRepeat: shape.seqLen, period, kinds, threshold, batchData, batchFile: values.tokens, series, signal: io.signal, onProgress: bar.onProgress };
      const batch = patchMosaicBatch(model, opts);
      if (values['save-tokens']) await writePatchBatch(values['save-tokens'], batch);
      result = await runPatchMosaic(model, { ...opts, batchData: batch });
    } else {
      if (period !== undefined) throw new ChronosLensError('BAD_INPUT', `--period: ${model.name} is a Chronos-T5 model, whose repeat is --seq-len tokens; leave it out`);
      const tokens = values.tokens ? await readTokenBatch(values.tokens) : undefined;
      const opts = { ...shape, kinds: parseKinds(values.kind), threshold, tokens, tokensFile: values.tokens, series, signal: io.signal, onProgress: bar.onProgress };
      const batch = mosaicTokenBatch(model, opts);
      if (values['save-tokens']) await writeTokenBatch(values['save-tokens'], batch);
      result = await runMosaic(model, { ...opts, tokens: batch });
    }
    bar.done();
    if (values.out) await writeMosaicOut(values.out, result);
    if (values.json) printJson(io, result);
    else io.stdout.write(mosaicText(result, isChronos2(model) ? CHRONOS2_KIND_TITLE : KIND_TITLE));
    return 0;
  } finally {
    bar.done();
    await model.dispose();
  }
}
