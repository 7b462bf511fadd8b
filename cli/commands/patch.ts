/**
 * chronos-lens patch: activation patching from a clean into a corrupted input, per head, per head and
 * position, per residual position, and for head sets against random control sets.
 */
import { ChronosLensError } from '../../core/errors';
import { CORRUPTIONS, Corruption } from '../../analysis/causal/corrupt';
import { seriesPatchInputs, tokenPatchInputs } from '../../analysis/causal/patch-inputs';
import { PatchMapKind, PatchingResult, runPatching } from '../../analysis/causal/patching';
import { formatHead, headGrid, parseHeads, randomControlSets } from '../../analysis/heads';
import { ATTENTION_KINDS, AttentionKind, HeadRef } from '../../analysis/types';
import { CliIO, floatFlag, intFlag, loadModelFromFlags, MODEL_OPTIONS, parse, printJson, progressBar, strings, vocabFlag } from '../common';
import { defaultModelDir } from '../paths';
import { causalOutUsage, checkCausalOut, fmt, readSeries, writeCausalOut } from './causal-common';

export const usage = `chronos-lens patch [FILE.csv [--column NAME]] [options]

Activation patching: run a corrupted input with one component's activation taken from the clean
run, and report how much of the clean metric it restores: (patched - corrupted) / (clean - corrupted),
where the metric is the mean log-probability of the scored tokens.

Without FILE: clean = repeated random tokens, corrupted = the same prefix after fresh non-repeating
tokens (the induction-loss protocol); the scored tokens are the continuation of the repeat.
  --pairs N               clean / corrupted pairs, averaged (default 20)
  --seq-len N --repeats N --sub-extension N --vocab A:B --token-seed N   the token protocol
With FILE: clean = the last context window of the column (ending at --end), corrupted by
  --corrupt KIND          shift (default) | noise | spike | swap | window (see docs/causal.md)
  --amount X              shift / swap: points; noise: sd in window sds; window: the other window's end
  --noise-seed N          seed of the noise (default 0)
  --end I                 the clean window ends before index I (default: the end of the series)
  --steps S               forecast steps scored on the clean median path (default 8)
What to patch:
  --maps LIST             heads, headPos, resid (default heads,resid): every head at every position;
                          every head at each position; the residual entering each layer at each position
  --kinds LIST            head kinds of heads / headPos: cross, encoder, decoder (default all)
  --set HEADS             a head set patched together (e.g. cross:L1.H1,cross:L1.H2); repeatable
  --controls N            N seeded random sets like each --set, of heads outside it (default 0)
  --seed N                seed of the control sets (default 0)
  --json                  print the result as JSON
${causalOutUsage(26)}
  --model DIR             Chronos checkpoint folder (default: the bundled chronos-t5-nano)`;

function parseList<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(/[\s,]+/).filter(Boolean);
  for (const x of items) if (!allowed.includes(x as T)) throw new ChronosLensError('BAD_INPUT', `--${flag}: unknown "${x.slice(0, 40)}" (expected ${allowed.join(', ')})`);
  if (!items.length) throw new ChronosLensError('BAD_INPUT', `--${flag} is empty (expected ${allowed.join(', ')})`);
  return [...new Set(items)] as T[];
}

export function patchText(r: PatchingResult): string {
  const lines = [`${r.model.name} · ${r.description} · ${r.pairs} pair${r.pairs === 1 ? '' : 's'} · metric ${r.metric}: clean ${fmt(r.clean)}, corrupted ${fmt(r.corrupted)}`];
  if (r.restored.heads) {
    lines.push('restored fraction, per head (rows: layers, columns: heads):');
    for (const [kind, m] of Object.entries(r.restored.heads)) m!.forEach((row, l) => lines.push(`  ${kind.padEnd(8)} L${l}  ${row.map((v) => fmt(v, 3).padStart(7)).join('')}`));
  }
  if (r.restored.resid) {
    lines.push('restored fraction, residual entering each layer: best position (fraction)');
    for (const [stack, m] of Object.entries(r.restored.resid)) {
      m!.forEach((row, i) => {
        let best = 0;
        row.forEach((v, p) => (v > row[best] ? (best = p) : undefined));
        lines.push(`  ${stack.padEnd(8)} ${i === m!.length - 1 ? 'out' : `L${i} `}  position ${best} (${fmt(row[best], 3)}), sum over positions ${fmt(row.reduce((a, b) => a + b, 0), 3)}`);
      });
    }
  }
  if (r.restored.headPos) lines.push('per head and position: see --json (restored.headPos[kind][layer][head][position])');
  if (r.sets) r.sets.forEach((s, i) => lines.push(`  ${s.control ? 'control' : 'set    '} ${s.label}: ${fmt(r.restored.sets![i], 3)}`));
  return lines.join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    ...MODEL_OPTIONS,
    ...strings('column', 'pairs', 'seq-len', 'repeats', 'sub-extension', 'vocab', 'token-seed', 'corrupt', 'amount'),
    ...strings('noise-seed', 'end', 'steps', 'maps', 'kinds'),
    set: { type: 'string', multiple: true },
    ...strings('controls', 'seed'),
    json: { type: 'boolean' },
    out: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const seriesMode = positionals.length > 0;
  const rrtFlags = ['pairs', 'seq-len', 'repeats', 'sub-extension', 'vocab', 'token-seed'] as const;
  const seriesFlags = ['column', 'corrupt', 'amount', 'noise-seed', 'end', 'steps'] as const;
  for (const f of seriesMode ? rrtFlags : seriesFlags) if (values[f] !== undefined) throw new ChronosLensError('BAD_INPUT', `--${f} ${seriesMode ? 'goes with the token protocol (no FILE)' : 'needs a CSV FILE'}`);
  const maps = parseList<PatchMapKind>(values.maps, ['heads', 'headPos', 'resid'], 'maps') ?? (values.set?.length ? [] : ['heads', 'resid']);
  const kinds = parseList<AttentionKind>(values.kinds, ATTENTION_KINDS, 'kinds');
  const controls = intFlag(values.controls, 'controls', 'controls') ?? 0;
  const controlSeed = intFlag(values.seed, 'seed', 'seed') ?? 0;
  if (controls && !values.set?.length) throw new ChronosLensError('BAD_INPUT', '--controls goes with --set');
  const pairsN = intFlag(values.pairs, 'pairs', 'patchPairs') ?? 20;
  const steps = intFlag(values.steps, 'steps', 'forecastSteps') ?? 8;
  const corrupt = (values.corrupt ?? 'shift') as Corruption;
  if (!CORRUPTIONS.includes(corrupt)) throw new ChronosLensError('BAD_INPUT', `--corrupt must be one of ${CORRUPTIONS.join(', ')}, got ${JSON.stringify(values.corrupt)}`);
  const amount = corrupt === 'noise' ? floatFlag(values.amount, 'amount', 'noiseAmount') : intFlag(values.amount, 'amount', 'corruptAmount');
  if (corrupt === 'window' && amount === undefined) throw new ChronosLensError('BAD_INPUT', '--corrupt window needs --amount I (the other window\'s end)');
  const noiseSeed = intFlag(values['noise-seed'], 'noise-seed', 'seed');
  const end = intFlag(values.end, 'end', 'windowEnd');
  // the token protocol's flags, checked before the model is loaded like the others
  const tokenOptions = {
    seqLen: intFlag(values['seq-len'], 'seq-len', 'seqLen'),
    repeats: intFlag(values.repeats, 'repeats', 'repeats'),
    subExtension: intFlag(values['sub-extension'], 'sub-extension', 'subExtension'),
    vocab: vocabFlag(values.vocab),
    seed: intFlag(values['token-seed'], 'token-seed', 'seed'),
  };
  await checkCausalOut(values.out, positionals, values.model);
  const series = seriesMode ? await readSeries(positionals, values.column, io, 'patch') : undefined;
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() });
  const bar = progressBar(io, 'patch');
  try {
    await checkCausalOut(values.out, positionals, values.model, model.checkpoint.dir);
    const grid = headGrid(model.config);
    const sets: HeadRef[][] = [];
    const setLabels: { label: string; control: boolean }[] = [];
    for (const spec of values.set ?? []) {
      const set = parseHeads(spec, grid);
      sets.push(set);
      setLabels.push({ label: set.map(formatHead).join('+'), control: false });
      for (const c of controls ? randomControlSets(grid, set, controls, controlSeed) : []) {
        sets.push(c);
        setLabels.push({ label: c.map(formatHead).join('+'), control: true });
      }
    }
    if (series && steps > model.config.chronos.predictionLength) throw new ChronosLensError('BAD_INPUT', `--steps must be at most the model's prediction length (${model.config.chronos.predictionLength}), got ${steps}`);
    const inputs = series
      ? await seriesPatchInputs(model, series, { corrupt, amount, noiseSeed, end, steps })
      : tokenPatchInputs(model, { batch: pairsN, ...tokenOptions });
    const { pairs, description, parameters, seeds } = inputs;
    if (sets.length) seeds.controls = controlSeed;
    const r = await runPatching(model, pairs, { maps, kinds, headSets: sets, setLabels, description, parameters, seeds, signal: io.signal, onProgress: bar.onProgress });
    bar.done();
    // the given sets (not their controls) are outlined in the maps, as the panel outlines its heads
    const marked = sets.filter((_, i) => !setLabels[i].control).flat();
    await writeCausalOut(values.out, { label: `Patching · ${description}`, ...(series ? { series: { file: series.file, column: series.column } } : {}), patching: r, ...(marked.length ? { marked } : {}) }, 'patching');
    if (values.json) printJson(io, r);
    else io.stdout.write(patchText(r));
    return 0;
  } finally {
    bar.done();
    await model.dispose();
  }
}
