/**
 * chronos-lens attribute FILE: direct attribution of one forecast step to the components of the
 * decoder's residual stream (embedding, each self / cross head, each feed-forward block); on a
 * Chronos-Bolt model, of one quantile level's forecast value, with the cross heads split by encoder
 * component.
 */
import { ChronosLensError } from '../../core/errors';
import { AttributionResult, AttributionTarget, BoltAttributionResult, attribute, attributeBolt } from '../../analysis/causal/attribution';
import { isBolt } from '../../models/load';
import { floatFlag } from '../common';
import { outKind, writeResultOut } from '../figures';
import { CliIO, MODEL_OPTIONS, intFlag, loadModelFromFlags, parse, printJson } from '../common';
import { defaultModelDir } from '../paths';
import { causalOutUsage, checkCausalOut, fmt, readSeries, writeCausalOut } from './causal-common';

export const usage = `chronos-lens attribute FILE.csv [--column NAME] [--step N] [--target logit|logprob|expected] [--token ID] [--json]
       chronos-lens attribute FILE.csv --model <Chronos-Bolt> [--column NAME] [--step N] [--level Q] [--json]

Direct attribution at forecast step N (0-based, default 0): the decoder's final residual stream at
that step is split into the token embedding, every self- and cross-attention head's output (through
its slice of the output projection) and every feed-forward block's update; each part is read out
through the final RMS norm with its scale frozen from the clean run and the LM head. The decoder is
teacher-forced on the model's median path. Parts sum to the total exactly.

  --target logit      the logit of the token (default: the median token at the step)
  --target logprob    the log-probability: the logit parts plus a constant part, -logsumexp (frozen)
  --target expected   the expected value in series units, linearised with the probabilities frozen:
                      part = scale * sum_w p_w (centre_w - mean) * (the part's logit of w); the exact
                      expected value is reported beside the total (see docs/causal.md)
  --token ID          attribute this vocabulary id instead of the median token
  --level Q           Chronos-Bolt: the quantile level attributed (one of the model's, default 0.5). The
                      value at that level and step (series units) is split into the decoder token's
                      embedding, every self / cross head and feed-forward block, read out through the
                      final norm (scale frozen) and the quantile head with its activation gates frozen,
                      plus the head's biases and the instance norm's loc; the cross heads' parts are
                      split again by encoder component (encoderComponents). See docs/causal.md
  --top K             text output: the K largest parts by magnitude (default 12)
  --json              print {target, total, components: [{component, kind, layer, head, value}], ...}
${causalOutUsage(22)}
  --model DIR         Chronos-T5 or Chronos-Bolt checkpoint (default: the bundled chronos-t5-nano);
                      on Chronos-Bolt, --out writes .json only`;

export function boltAttributionText(r: BoltAttributionResult, top: number): string {
  const t = r.target;
  const parts = [...r.components].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, top);
  const enc = [...r.encoderComponents].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, top);
  const w = Math.max(...[...parts, ...enc].map((p) => p.component.length), 9);
  const cross = r.components.filter((c) => c.kind === 'cross_head').reduce((a, c) => a + c.value, 0);
  return [
    `${r.model.name} · step ${t.step} · quantile ${t.level} · value ${fmt(t.value)} · total ${fmt(r.total)}`,
    `loc ${fmt(t.loc)}  scale ${fmt(t.scale)}  frozen norm scale ${fmt(t.normScale)}  ${t.activation} gates frozen (${t.openGates} open)`,
    ...parts.map((p) => `  ${p.component.padEnd(w)}  ${fmt(p.value).padStart(10)}`),
    r.components.length > parts.length ? `  (${r.components.length - parts.length} smaller parts; --json for all)` : '',
    `the cross heads' ${fmt(cross)} by encoder component:`,
    ...enc.map((p) => `  ${p.component.padEnd(w)}  ${fmt(p.value).padStart(10)}`),
    r.encoderComponents.length > enc.length ? `  (${r.encoderComponents.length - enc.length} smaller parts; --json for all)` : '',
  ].filter(Boolean).join('\n') + '\n';
}

export function attributionText(r: AttributionResult, top: number): string {
  const t = r.target;
  const parts = [...r.components].sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, top);
  const w = Math.max(...parts.map((p) => p.component.length), 9);
  return [
    `${r.model.name} · step ${t.step} · ${t.kind} of token ${t.token} (value ${fmt(t.tokenValue)}) · total ${fmt(r.total)}`,
    `logit ${fmt(t.logit)}  log p ${fmt(t.logprob)}  expected value ${fmt(t.expectedValue)}  frozen norm scale ${fmt(t.normScale)}`,
    ...parts.map((p) => `  ${p.component.padEnd(w)}  ${fmt(p.value).padStart(10)}`),
    r.components.length > parts.length ? `  (${r.components.length - parts.length} smaller parts; --json for all)` : '',
  ].filter(Boolean).join('\n') + '\n';
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { ...MODEL_OPTIONS, column: { type: 'string' }, step: { type: 'string' }, target: { type: 'string' }, token: { type: 'string' }, level: { type: 'string' }, top: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } });
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const target = (values.target ?? 'logit') as AttributionTarget;
  if (!['logit', 'logprob', 'expected'].includes(target)) throw new ChronosLensError('BAD_INPUT', `--target must be logit, logprob or expected, got ${JSON.stringify(values.target)}`);
  if (values.token !== undefined && target === 'expected') throw new ChronosLensError('BAD_INPUT', '--token goes with --target logit or logprob (the expected value has no single token)');
  const step = intFlag(values.step, 'step', 'step');
  const token = intFlag(values.token, 'token', 'tokenId');
  const top = intFlag(values.top, 'top', 'topParts') ?? 12;
  const level = floatFlag(values.level, 'level', 'lensLevel');
  await checkCausalOut(values.out, positionals, values.model);
  const series = await readSeries(positionals, values.column, io, 'attribute');
  const model = await loadModelFromFlags({ ...values, model: values.model ?? defaultModelDir() }, undefined, { families: 't5-bolt', command: 'attribute' });
  try {
    await checkCausalOut(values.out, positionals, values.model, model.checkpoint.dir);
    if (isBolt(model)) {
      const t5Only = (['target', 'token'] as const).filter((k) => values[k] !== undefined).map((k) => `--${k}`);
      if (t5Only.length) throw new ChronosLensError('BAD_INPUT', `${t5Only.join(', ')}: not available for ${model.name}, a Chronos-Bolt model (no tokens: its head gives quantiles; choose one with --level)`);
      if (values.out && outKind(values.out) !== 'result') throw new ChronosLensError('BAD_INPUT', `--out ${values.out}: a Chronos-Bolt attribution is written as .json (its figures are Chronos-T5's so far)`);
      const r = await attributeBolt(model, { values: series.values, label: series.label, step, level, signal: io.signal });
      if (values.out) await writeResultOut(values.out, r, () => '');
      if (values.json) printJson(io, r);
      else io.stdout.write(boltAttributionText(r, top));
      return 0;
    }
    if (level !== undefined) throw new ChronosLensError('BAD_INPUT', `--level is Chronos-Bolt's; ${model.name} attributes a token's logit, log-probability or the expected value (--target)`);
    const r = await attribute(model, { values: series.values, label: series.label, step, target, token, signal: io.signal });
    await writeCausalOut(values.out, { label: `Attribution · ${series.label} · ${r.target.kind} at step ${r.target.step}`, series: { file: series.file, column: series.column }, attribution: r }, 'attribution');
    if (values.json) printJson(io, r);
    else io.stdout.write(attributionText(r, top));
    return 0;
  } finally {
    await model.dispose();
  }
}
