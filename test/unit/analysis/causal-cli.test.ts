/**
 * The causal-analysis commands end to end through the CLI's entry point (real bundled model, real CSV):
 * heads, attribute, layer-lens, patch and ablate --layers / --layer-sweep; JSON shapes, values against
 * the transformers reference, --out files, and one-line usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../../cli/main';
import { fixtures, sharedData, withTempDir } from '../helpers';

const air = path.join(sharedData, 'AirPassengers.csv');
const common = ['--no-cache', '--provider', 'cpu', '--threads', '1'];

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const code = await main(argv, { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) });
  return { code, out, err };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const ref = async (): Promise<any> => JSON.parse(await fsp.readFile(path.join(fixtures, 'causal', 'causal-chronos-t5-nano.json'), 'utf8'));

test('heads --json: every head with QK / OV statistics, the ranking, and the Spearman agreement with a mosaic', async () => {
  const r = await cli(['heads', ...common, '--json', '--mosaic', path.join(fixtures, 'mosaic', 'mosaic-chronos-t5-nano.json')]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  const e = await ref();
  assert.equal(j.stats.length, e.stableRank.length);
  j.stats.forEach((s: any, i: number) => assert.ok(Math.abs(s.qk.stableRank - e.stableRank[i].qk.stableRank) < 1e-6 * e.stableRank[i].qk.stableRank));
  assert.equal(j.ranking.length, j.stats.length);
  assert.deepEqual(j.agreement.map((a: any) => a.kind), ['cross', 'encoder', 'decoder']);
  for (const a of j.agreement) assert.ok(a.qkStableRank >= -1 && a.qkStableRank <= 1);
  const bad = await cli(['heads', ...common, '--sort', 'xy']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--sort must be qk or ov/);
});

test('attribute --json: {target, total, components} whose parts sum to the logit transformers computes', async () => {
  const e = (await ref()).attribution[1];
  const r = await cli(['attribute', air, ...common, '--step', String(e.step), '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.target.kind, 'logit');
  assert.equal(j.target.token, e.token);
  const sum = j.components.reduce((a: number, c: any) => a + c.value, 0);
  assert.ok(Math.abs(sum - j.total) < 1e-9);
  assert.ok(Math.abs(j.total - e.logit) < 1e-4, `${j.total} vs ${e.logit}`);
  for (const c of j.components) {
    assert.deepEqual(Object.keys(c).sort(), ['component', 'head', 'kind', 'layer', 'value']);
    assert.ok(Math.abs(c.value - e.logitParts[c.component]) < 1e-4, c.component);
  }
  assert.ok(j.components.some((c: any) => c.kind === 'cross_head' && c.head === 2 && c.layer === 1));
  assert.ok(j.components.filter((c: any) => c.kind === 'ff' || c.kind === 'embedding').every((c: any) => c.head === null));
  const text = await cli(['attribute', air, ...common, '--target', 'logprob', '--top', '3']);
  assert.equal(text.code, 0, text.err);
  assert.match(text.out, /logprob of token \d+/);
  const bad = await cli(['attribute', air, ...common, '--target', 'expected', '--token', '5']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--token goes with --target logit or logprob/);
  const none = await cli(['attribute', ...common]);
  assert.equal(none.code, 2);
  assert.match(none.err, /attribute takes one CSV file/);
});

test('layer-lens --json: per-layer quantiles as the reference; --out writes the same JSON', async () => {
  const e = (await ref()).lens;
  await withTempDir(async (dir) => {
    const out = path.join(dir, 'lens.json');
    const r = await cli(['layer-lens', air, ...common, '--steps', String(e.steps), '--levels', e.levels.join(','), '--json', '--out', out]);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.path, e.path);
    j.layers.forEach((l: any, i: number) => l.quantiles.forEach((row: number[], q: number) => row.forEach((v, s) => assert.ok(Math.abs(v - e.layers[i].quantiles[q][s]) < 1e-3, `L${i} q${q} s${s}`))));
    assert.deepEqual(JSON.parse(await fsp.readFile(out, 'utf8')).layers.length, j.layers.length);
    const bad = await cli(['layer-lens', air, ...common, '--steps', '65']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /steps must be an integer in \[1, 64\]/);
  });
});

test('patch: the top induction heads restore more of the copy loss than random head sets; series corruptions', async () => {
  const r = await cli(['patch', ...common, '--pairs', '6', '--set', 'cross:L1.H1,cross:L1.H2,cross:L1.H0', '--controls', '3', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.sets.length, 4);
  assert.deepEqual(j.sets.map((s: any) => s.control), [false, true, true, true]);
  const [top, ...ctrl] = j.restored.sets as number[];
  assert.ok(ctrl.every((c) => top > c + 0.1), `top ${top} vs controls ${ctrl}`);
  assert.ok(j.clean > j.corrupted);
  const s = await cli(['patch', air, ...common, '--corrupt', 'noise', '--maps', 'heads,resid', '--kinds', 'cross', '--steps', '3', '--json']);
  assert.equal(s.code, 0, s.err);
  const sj = JSON.parse(s.out);
  assert.deepEqual(Object.keys(sj.restored.heads), ['cross']);
  // The residual leaving the decoder, patched position by position, restores the clean metric in sum.
  const last = sj.restored.resid.decoder[sj.restored.resid.decoder.length - 1] as number[];
  assert.ok(Math.abs(last.reduce((a, b) => a + b, 0) - 1) < 1e-4);
  const shift = await cli(['patch', air, ...common, '--corrupt', 'shift']);
  assert.equal(shift.code, 2);
  assert.match(shift.err, /shifting the window by \d+ points needs/);
  const mixed = await cli(['patch', air, ...common, '--pairs', '3']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.err, /--pairs goes with the token protocol/);
  const all = await cli(['patch', ...common, '--pairs', '2', '--set', 'cross:L0.H0,cross:L0.H1,cross:L0.H2,cross:L0.H3,cross:L1.H0,cross:L1.H1,cross:L1.H2,cross:L1.H3', '--json']);
  assert.equal(all.code, 0, all.err);
  // The decoder sees the encoder only through the cross-attention: patching every cross head restores all.
  assert.ok(Math.abs(JSON.parse(all.out).restored.sets[0] - 1) < 1e-4, all.out.slice(0, 300));
  const maps = await cli(['patch', ...common, '--maps', 'heads,everything']);
  assert.equal(maps.code, 2);
  assert.match(maps.err, /--maps: unknown "everything"/);
});

test('ablate --layers / --layer-sweep: variants against the unablated model; head ablation still answers', async () => {
  const r = await cli(['ablate', ...common, '--layers', 'decoder:L0', '--layers', 'encoder:L1.ff,decoder:L1.cross', '--batch', '6', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(j.variants.map((v: any) => v.label), ['decoder:L0', 'encoder:L1.ff + decoder:L1.cross']);
  assert.ok(j.variants[0].values.induction_loss > j.unablated.induction_loss);
  const sweep = await cli(['ablate', ...common, '--layer-sweep', 'ff', '--stack', 'decoder', '--batch', '4']);
  assert.equal(sweep.code, 0, sweep.err);
  assert.match(sweep.out, /layer ablation sweep · 2 variants/);
  assert.match(sweep.out, /decoder:L1\.ff/);
  const both = await cli(['ablate', ...common, '--layers', 'decoder:L0', '--layer-sweep']);
  assert.equal(both.code, 2);
  assert.match(both.err, /give --layers SET or --layer-sweep, not both/);
  const bad = await cli(['ablate', ...common, '--layers', 'decoder:L9']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /decoder layer 9 does not exist/);
  const heads = await cli(['ablate', ...common, '--heads', 'L1.H1', '--controls', '1', '--batch', '4', '--json']);
  assert.equal(heads.code, 0, heads.err);
  assert.equal(JSON.parse(heads.out).method, 'zero');
});

test('requests are sized before they run: patching, the lens and layer ablation refuse what does not fit', async () => {
  const saved = process.env.CHRONOS_LENS_MEMORY_LIMIT;
  process.env.CHRONOS_LENS_MEMORY_LIMIT = '64K';
  try {
    const p = await cli(['patch', air, ...common, '--corrupt', 'noise', '--maps', 'headPos']);
    assert.equal(p.code, 2, p.err);
    assert.match(p.err, /patching \d+ patched inputs needs about .* refused before allocating/);
    const l = await cli(['layer-lens', air, ...common]);
    assert.equal(l.code, 2, l.err);
    assert.match(l.err, /the per-layer lens needs about .* refused before allocating/);
    const a = await cli(['ablate', ...common, '--layer-sweep']);
    assert.equal(a.code, 2, a.err);
    assert.match(a.err, /a layer ablation of 4 variants needs about .* refused before allocating/);
  } finally {
    if (saved === undefined) delete process.env.CHRONOS_LENS_MEMORY_LIMIT;
    else process.env.CHRONOS_LENS_MEMORY_LIMIT = saved;
  }
});

test('heads --ablation-effects: every head zero-ablated alone, and the Spearman agreement over all heads', async () => {
  const r = await cli(['heads', ...common, '--ablation-effects', '--batch', '4', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.ablation.effects.length, 24);
  assert.deepEqual(j.ablation.agreement.map((a: any) => [a.kind, a.heads]), [['cross', 8], ['encoder', 8], ['decoder', 8], ['all', 24]]);
  // Zero-ablating a head changes the loss; not every head by the same amount.
  assert.ok(new Set(j.ablation.effects.map((e: any) => e.effect.toFixed(6))).size > 20);
  const bad = await cli(['heads', ...common, '--batch', '4']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--batch goes with --ablation-effects/);
});

test('--out FILE.svg|.png|.html|.csv|.plotly.json: the residual-stream figure of each command; bad paths refused before any work', async () => {
  await withTempDir(async (dir) => {
    const at = (f: string) => path.join(dir, f);
    const a = await cli(['attribute', air, ...common, '--step', '1', '--out', at('attr.svg')]);
    assert.equal(a.code, 0, a.err);
    const svg = await fsp.readFile(at('attr.svg'), 'utf8');
    assert.match(svg, /^(<\?xml[^>]*>\n)?<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /Attribution · chronos-t5-nano/);
    const values = [...svg.matchAll(/class="cl-mark bar( total)?"[^>]*data-value="([^"]+)"/g)].map((m) => ({ total: !!m[1], value: Number(m[2]) }));
    const total = values.find((v) => v.total)!.value;
    assert.equal(values.length, 1 + 2 * (4 + 4 + 1) + 1, 'embedding, 2 layers × (4 self + 4 cross + ff), the total');
    assert.ok(Math.abs(values.filter((v) => !v.total).reduce((s, v) => s + v.value, 0) - total) < 1e-4);
    const lens = await cli(['layer-lens', air, ...common, '--steps', '4', '--out', at('lens.csv')]);
    assert.equal(lens.code, 0, lens.err);
    assert.match((await fsp.readFile(at('lens.csv'), 'utf8')).split('\n')[0], /layer/);
    const patch = await cli(['patch', ...common, '--pairs', '2', '--maps', 'heads', '--kinds', 'cross', '--set', 'cross:L1.H2', '--out', at('patch.plotly.json')]);
    assert.equal(patch.code, 0, patch.err);
    const fig = JSON.parse(await fsp.readFile(at('patch.plotly.json'), 'utf8'));
    assert.ok(Array.isArray(fig.data) && fig.data.some((d: any) => d.type === 'heatmap'), 'a Plotly heat map');
    const layers = await cli(['ablate', ...common, '--layers', 'decoder:L0', '--batch', '2', '--out', at('layers.png')]);
    assert.equal(layers.code, 0, layers.err);
    assert.deepEqual([...(await fsp.readFile(at('layers.png'))).subarray(0, 4)], [137, 80, 78, 71]);
    // refused in one line before the model is loaded: nothing written
    for (const [out, re] of [
      [at('fig.txt'), /^chronos-lens: attribute: --out .*fig\.txt: unknown extension \(expected \.json, \.svg, \.png, \.html, \.csv or \.plotly\.json\)\n$/],
      [air, /^chronos-lens: attribute: --out .*AirPassengers\.csv is the input .*; write the result to another path\n$/],
      [dir, /^chronos-lens: attribute: --out .* unknown extension/],
    ] as const) {
      const r = await cli(['attribute', air, ...common, '--out', out]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, re);
    }
    const folder = path.join(dir, 'folder.svg');
    await fsp.mkdir(folder);
    const f = await cli(['layer-lens', air, ...common, '--out', folder]);
    assert.equal(f.code, 2);
    assert.match(f.err, /--out .*folder\.svg is a folder; give a file name/);
    assert.deepEqual((await fsp.readdir(dir)).sort(), ['attr.svg', 'folder.svg', 'layers.png', 'lens.csv', 'patch.plotly.json']);
  });
});
