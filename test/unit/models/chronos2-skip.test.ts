/**
 * Chronos-2's `layer_skip` (Chronos2Ablation.skipLayer: a sublayer's residual update dropped) against
 * Chronos2Model with forward hooks that return each skipped sublayer's input as its output
 * (tools/reference/chronos2_analysis_reference.py), on three ETTh1 series in one group.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Chronos2Model, Chronos2Sublayer } from '../../../models/chronos2/model';
import { fixtures, loadFixture, maxAbsDiff, repoRoot } from '../helpers';

test('skipping time, group, feed-forward sublayers or a whole layer equals the hooked eager model', async (t) => {
  const { meta, arrays } = await loadFixture(path.join(fixtures, 'chronos2-analysis', 'skip-reduced-ett.json'));
  const model = await Chronos2Model.load(path.resolve(repoRoot, String(meta.model)), { cacheDir: null, provider: 'cpu', threads: 1 });
  try {
    const rowsA = arrays.get('rows')!;
    const [n, len] = rowsA.shape;
    const rows = Array.from({ length: n }, (_, i) => (rowsA.data as Float32Array).slice(i * len, (i + 1) * len));
    const input = { rows, groupIds: new Array<number>(n).fill(0), outputPatches: 1 };
    const scale = Number(meta.series_scale);
    const plain = await model.forward(input, { quantiles: true });
    const e0 = maxAbsDiff(plain.quantiles!.data, arrays.get('plain')!.data) / scale;
    assert.ok(e0 <= 1e-4, `plain: ${e0}`);
    for (const [layer, part] of meta.skips as [number, Chronos2Sublayer | 'all'][]) {
      const ab = model.newAblation().skipLayer(layer, part);
      const r = await model.forward(input, { quantiles: true }, ab);
      const ref = arrays.get(`skip.${layer}.${part}`)!.data;
      const e = maxAbsDiff(r.quantiles!.data, ref) / scale;
      assert.ok(e <= 1e-4, `skip L${layer} ${part}: max abs error ${e} (relative to the series scale)`);
      assert.ok(maxAbsDiff(r.quantiles!.data, plain.quantiles!.data) > 1e-3, `skipping L${layer} ${part} changed nothing`);
      t.diagnostic(`L${layer} ${part}: ${e.toExponential(1)} (series scale ${scale})`);
    }
  } finally {
    await model.dispose();
  }
});
