/**
 * Start-up against compute, in one run: for each chronos-t5 config, the reference mosaic (100 x 22 random
 * tokens, cross kind) as a whole CLI process with the graph cached, the same computation warm inside one
 * process (bench/ours.ts), and the first use of the model (an empty graph cache), with peak RSS from GNU
 * time against the checkpoint's weight bytes. With --baseline DIR (another checkout of this repository,
 * built: `git archive <commit> | tar -x -C DIR`, node_modules linked, `npm run build`), the same figures for
 * that checkout interleaved round by round, so before/after ratios come from the same minutes of a shared
 * machine. Writes bench/results/<date>-startup.json and .md.
 *
 *   npx tsx bench/startup.ts [--configs small,base] [--runs 3] [--baseline /tmp/base-checkout]
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { randomTokenBatch, writeTokenBatch } from '../analysis/tokens';
import { loadAverage } from './roofline';
import { Stat, stats, timed } from './timing';

const root = path.resolve(__dirname, '..');
const work = path.join(root, 'bench', '.work');

interface TreeFigures {
  /** Whole CLI process, graph cached: wall seconds and peak RSS (MB). */
  whole: number[];
  rss: number[];
  /** In-process: the warm computation (median of the runs after the first), module import, and session creation. */
  warm: number[];
  import: number[];
  session: number[];
  firstUse: { wall_s: number; rss_mb: number; session?: unknown };
  optimized?: string;
}

function tree(dir: string, name: string, model: string, tokens: string, cacheDir: string): { run(): void; first(): void; fig: TreeFigures; name: string } {
  const fig: TreeFigures = { whole: [], rss: [], warm: [], import: [], session: [], firstUse: { wall_s: NaN, rss_mb: NaN } };
  const cli = ['dist/cli.js', 'mosaic', '--model', model, '--tokens', tokens, '--kind', 'cross', '--json', '--provider', 'cpu'];
  return {
    name,
    fig,
    first() {
      const cold = path.join(work, `startup-first-${name}-${Date.now()}`);
      const t = timed(dir, 'node', [...cli, '--cache-dir', cold]);
      fig.firstUse = { wall_s: t.wall_s, rss_mb: t.rss_mb };
      rmSync(cold, { recursive: true, force: true });
      // fills (or refreshes) this tree's own cache, so the rounds below start from a cached graph
      timed(dir, 'node', [...cli, '--cache-dir', cacheDir]);
    },
    run() {
      const w = timed(dir, 'node', [...cli, '--cache-dir', cacheDir]);
      fig.whole.push(w.wall_s);
      fig.rss.push(w.rss_mb);
      const o = timed(dir, 'node', ['--import', 'tsx', 'bench/ours.ts', 'mosaic', '--model', model, '--tokens', tokens, '--repeat', '3', '--cache-dir', cacheDir]).json as {
        import_s: number;
        runs_s: number[];
        graph?: { sessionMs: number; optimized?: string }[];
      };
      fig.warm.push(stats(o.runs_s.slice(1)).median);
      fig.import.push(o.import_s);
      fig.session.push((o.graph?.[0]?.sessionMs ?? NaN) / 1000);
      fig.optimized = o.graph?.[0]?.optimized;
    },
  };
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({ options: { configs: { type: 'string', default: 'small,base' }, runs: { type: 'string', default: '3' }, baseline: { type: 'string' } } });
  const runs = Number(a.runs);
  mkdirSync(work, { recursive: true });
  const tokens = path.join(work, 'tokens-startup-b100.json');
  await writeTokenBatch(tokens, randomTokenBatch({ seed: 1911 }));
  const out: Record<string, unknown> = {};
  for (const size of a.configs!.split(',')) {
    const model = path.join(root, 'bench', 'checkpoints', `chronos-t5-${size}-random`);
    if (!existsSync(path.join(model, 'model.safetensors'))) throw new Error(`${model} is missing: tools/reference/make_checkpoints.py --real ${size} --out bench/checkpoints`);
    const weightsMB = statSync(path.join(model, 'model.safetensors')).size / 2 ** 20;
    const trees = [tree(root, 'this', model, tokens, path.join(work, 'startup-cache-this'))];
    if (a.baseline) trees.push(tree(path.resolve(a.baseline), 'baseline', model, tokens, path.join(work, 'startup-cache-baseline')));
    const load: number[][] = [loadAverage()];
    for (const t of trees) t.first();
    for (let i = 0; i < runs; i++) {
      for (const t of trees) {
        t.run();
        const f = t.fig;
        console.error(`startup: ${size} ${t.name} round ${i + 1}/${runs} (load ${loadAverage()[0]}): whole ${f.whole[i]} s, warm ${f.warm[i].toFixed(3)} s, session ${f.session[i].toFixed(2)} s (${f.optimized ?? 'plain'}), peak RSS ${f.rss[i].toFixed(0)} MB`);
      }
      load.push(loadAverage());
    }
    out[size] = {
      weightsMB,
      loadAverage: load,
      trees: Object.fromEntries(trees.map((t) => {
        const f = t.fig;
        const whole = stats(f.whole);
        const warm = stats(f.warm);
        return [t.name, {
          ...f,
          wholeStat: whole,
          warmStat: warm,
          overhead_s: whole.median - warm.median,
          session: stats(f.session),
          import: stats(f.import),
          peakRssMB: Math.max(...f.rss),
          rssPerWeight: Math.max(...f.rss) / weightsMB,
          firstUseOverCached: f.firstUse.wall_s / whole.median,
        }];
      })),
    };
  }
  const results = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGB: +(os.totalmem() / 1e9).toFixed(1), node: process.version },
    baseline: a.baseline,
    configs: out,
  };
  const stamp = results.date.slice(0, 10);
  const dir = path.join(root, 'bench', 'results');
  writeFileSync(path.join(dir, `${stamp}-startup.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(dir, `${stamp}-startup.md`), markdown(results, `${stamp}-startup.json`));
  console.log(JSON.stringify(results));
}

type Figures = TreeFigures & { wholeStat: Stat; warmStat: Stat; overhead_s: number; session: Stat; import: Stat; peakRssMB: number; rssPerWeight: number; firstUseOverCached: number };

function markdown(r: { date: string; machine: { cpu?: string; cores: number; memoryGB: number; node: string }; baseline?: string; configs: Record<string, unknown> }, file: string): string {
  const f = (x: number, d = 2) => x.toFixed(d);
  const span = (s: Stat, d = 2) => `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})`;
  const lines = [
    '# Start-up against compute',
    '',
    `Written by \`npx tsx bench/startup.ts\` on ${r.date.slice(0, 16)} UTC; raw numbers in [\`${file}\`](${file}). ${r.machine.cpu} · ${r.machine.cores} cores · ${r.machine.memoryGB} GB · Node ${r.machine.node}.`,
    '',
    'Reference mosaic (100 × 22 random tokens, cross kind) on random-weight checkpoints at the real chronos-t5 configs. *Whole* is `node dist/cli.js mosaic … --json` with the graph cached (GNU time: wall seconds, peak RSS); *warm* is the same computation inside one process after one untimed run (bench/ours.ts, median of 2); *start-up* is whole − warm; *first use* is the whole process with an empty graph cache. Seconds: median (min–max). Trees interleaved round by round' + (r.baseline ? ` (baseline: the checkout in ${r.baseline})` : '') + '. The machine is shared: the load average is given per config, and only ratios within a row mean much.',
    '',
    '| config | tree | whole (s) | warm (s) | start-up (s) | session creation (s) | first use (s) | first use / whole | peak RSS (MB) | RSS / weights | load average |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [size, raw] of Object.entries(r.configs)) {
    const c = raw as { weightsMB: number; loadAverage: number[][]; trees: Record<string, Figures> };
    const la = c.loadAverage.map((l) => l[0]);
    for (const [name, t] of Object.entries(c.trees)) {
      lines.push(`| ${size} (${f(c.weightsMB, 0)} MB of weights) | ${name}${t.optimized ? ` (session from the ${t.optimized} optimised graph)` : ''} | ${span(t.wholeStat)} | ${span(t.warmStat, 3)} | ${f(t.overhead_s)} | ${span(t.session)} | ${f(t.firstUse.wall_s)} | ${f(t.firstUseOverCached)} | ${f(t.peakRssMB, 0)} (first use ${f(t.firstUse.rss_mb, 0)}) | ${f(t.rssPerWeight, 2)} | ${f(Math.min(...la), 1)}–${f(Math.max(...la), 1)} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
