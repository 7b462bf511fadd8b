/**
 * Activation patching, ours against a TransformerLens-style Python loop (one hooked transformers forward
 * per patched component), same checkpoint, same pairs, same machine. Not part of CI.
 *
 *   node --import tsx bench/patching.ts [--model DIR] [--pairs N] [--seq-len N] [--threads N]
 *
 * The job is `chronos-lens patch --maps heads,resid` on repeated-random-token pairs: every head of every
 * kind at every position, and the residual entering every layer at every position, of both stacks.
 * Random-weight checkpoints at the real chronos-t5 configs come from tools/reference/make_checkpoints.py
 * (--real small --out bench/checkpoints). Timings exclude loading and the first (graph-building) pair.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ChronosModel } from '../models/model';
import { inductionBatch } from '../analysis/ablation';
import { PatchPair, patchPair } from '../analysis/causal/patching';

const root = path.resolve(__dirname, '..');
const { values: opt } = parseArgs({ options: { model: { type: 'string' }, pairs: { type: 'string', default: '4' }, 'seq-len': { type: 'string', default: '10' }, threads: { type: 'string', default: '2' }, 'no-python': { type: 'boolean' } } });

async function main(): Promise<void> {
  const dir = opt.model ?? path.join(root, 'models', 'chronos-t5-nano');
  const model = await ChronosModel.load(dir, { cacheDir: null, provider: 'cpu', threads: Number(opt.threads) });
  const V = model.config.t5.vocabSize;
  const vocab: [number, number] = V > 2187 ? [1911, 2187] : [3, V - 1];
  const n = Number(opt.pairs);
  const b = inductionBatch(model, { batch: n + 1, seqLen: Number(opt['seq-len']), vocab });
  const pairs: PatchPair[] = Array.from({ length: n + 1 }, (_, i) => ({ clean: { ids: b.encoder[i] }, corrupted: { ids: b.encoder[b.batch + i] }, decoder: b.decoder[i], labels: b.labels[i] }));
  await patchPair(model, pairs[0], { maps: ['heads', 'resid'] }); // builds the graphs
  const t0 = performance.now();
  for (const p of pairs.slice(1)) await patchPair(model, p, { maps: ['heads', 'resid'] });
  const ours = (performance.now() - t0) / 1000;
  await model.dispose();
  const t = model.config.t5;
  const te = pairs[0].clean.ids.length;
  const td = pairs[0].decoder.length;
  const runs = n * ((t.numLayers + 2 * t.numDecoderLayers) * t.numHeads + (t.numLayers + 1) * te + (t.numDecoderLayers + 1) * td + 2);
  const row: Record<string, unknown> = { model: path.basename(dir), pairs: n, encoderTokens: te, decoderTokens: td, patchedRuns: runs, oursSeconds: ours };
  if (!opt['no-python']) {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'chronos-lens-bench-'));
    try {
      const file = path.join(tmp, 'pairs.json');
      writeFileSync(file, JSON.stringify(pairs.map((p) => ({ clean: Array.from(p.clean.ids), corrupted: Array.from(p.corrupted.ids), decoder: Array.from(p.decoder), labels: Array.from(p.labels) }))));
      const r = spawnSync(path.join(root, 'tools', '.venv', 'bin', 'python'), [path.join(root, 'bench', 'python', 'patching_baseline.py'), dir, file], { encoding: 'utf8', env: { ...process.env, REF_THREADS: opt.threads } });
      if (r.status !== 0) throw new Error(`python baseline failed: ${r.stderr}`);
      const py = JSON.parse(r.stdout.trim().split('\n').pop()!);
      // The baseline times all its pairs after a warm-up on the first; scale to the same n pairs.
      row.pythonSeconds = (py.seconds * n) / (n + 1);
      row.speedup = (row.pythonSeconds as number) / ours;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify(row, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
