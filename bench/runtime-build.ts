/**
 * Graph build and session creation for a checkpoint, cold (no graph cache) and from the cache, plus a
 * warm forward pass; with a checkpoint above 2 GB (chronos-t5-large) this proves the ONNX external-data
 * path. Not part of CI.
 *
 *   npx tsx bench/runtime-build.ts bench/checkpoints/chronos-t5-small-random
 *   tools/.venv/bin/python tools/reference/make_checkpoints.py --real large --out bench/checkpoints
 *   npx tsx bench/runtime-build.ts bench/checkpoints/chronos-t5-large-random
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosModel, EXTERNAL_DATA_THRESHOLD } from '../models/model';

function rssMb(): number {
  return process.memoryUsage().rss / 1e6;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: bench/runtime-build.ts CHECKPOINT_DIR');
  const cacheDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'chronos-lens-bench-cache-'));
  const results: Record<string, unknown> = { checkpoint: dir, machine: `${os.cpus()[0]?.model} x${os.cpus().length}, ${(os.totalmem() / 1e9).toFixed(0)} GB`, node: process.version };
  try {
    const T = 513;
    const ids = new Int32Array(T).map((_, i) => (i === T - 1 ? 1 : 1900 + ((i * 31) % 300)));
    const mask = new Int32Array(T).fill(1);
    const dec = Int32Array.from([0, 2000, 2001, 2002]);
    const inputs = { inputIds: { data: ids, dims: [1, T] as [number, number] }, attentionMask: { data: mask, dims: [1, T] as [number, number] }, decoderInputIds: { data: dec, dims: [1, 4] as [number, number] } };
    for (const phase of ['cold', 'cached']) {
      const t0 = performance.now();
      const model = await ChronosModel.load(dir, { cacheDir, provider: 'cpu' });
      const tLoad = performance.now() - t0;
      const t1 = performance.now();
      await model.forward(inputs, { logits: true, crossAttentions: true });
      const tFirst = performance.now() - t1;
      const t2 = performance.now();
      await model.forward(inputs, { logits: true, crossAttentions: true });
      const tWarm = performance.now() - t2;
      const timing = model.timings[0];
      results[phase] = {
        externalData: model.checkpoint.float32Bytes > EXTERNAL_DATA_THRESHOLD,
        weightsGB: +(model.checkpoint.float32Bytes / 1e9).toFixed(3),
        loadCheckpointMs: +tLoad.toFixed(0),
        graphBuildMs: +timing.buildMs.toFixed(0),
        sessionCreateMs: +timing.sessionMs.toFixed(0),
        firstForwardTotalMs: +tFirst.toFixed(0),
        warmForwardMs_T513: +tWarm.toFixed(0),
        fromCache: timing.fromCache,
        rssMB: +rssMb().toFixed(0),
      };
      await model.dispose();
    }
    const graphs = path.join(cacheDir, 'graphs');
    const entries = await fsp.readdir(graphs);
    const files = await fsp.readdir(path.join(graphs, entries[0]));
    results.cachedGraphFiles = files;
  } finally {
    await fsp.rm(cacheDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
