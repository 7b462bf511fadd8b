/** `chronos-lens sweep` as a user runs it: a real child process, the bundled model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot, tempDir } from '../helpers';

const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: path.join(repoRoot, '.cache', 'test-xdg') };
for (const k of ['SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX', 'AWS_BATCH_JOB_ARRAY_INDEX', 'CHRONOS_LENS_SHARD']) delete env[k];
const cliArgs = ['--import', 'tsx', path.join(repoRoot, 'cli', 'main.ts'), 'sweep'];

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...cliArgs, ...args], { encoding: 'utf8', cwd: repoRoot, env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('a bad spec: a one-line summary, then every problem on its own line, exit code 2, nothing written', async () => {
  const d = await tempDir('sweep-cli-');
  const spec = path.join(d, 'bad.yaml');
  await fsp.writeFile(spec, 'models: [bundled]\nanalyses:\n  - mosaic: { batch: 0 }\n  - forecast\nseeds: [x]\n');
  const r = cli('plan', spec, '--out', path.join(d, 'out'));
  assert.equal(r.code, 2);
  const [first, ...lines] = r.stderr.trimEnd().split('\n');
  assert.match(first, /^chronos-lens: sweep: .*bad\.yaml: 3 problems in the sweep spec:$/);
  assert.deepEqual(
    lines.map((l) => l.replace(/^  /, '')),
    ['analyses[0].mosaic.batch: must be an integer in [2, 100000], got 0', 'seeds[0]: must be an integer in [0, 2147483647], got "x"', 'data: forecast, attribute (and mosaic onData) need at least one CSV dataset'],
  );
  await assert.rejects(fsp.access(path.join(d, 'out')));
});

test('plan, run, status, merge and submit (written, not submitted) from the command line', async () => {
  const d = await tempDir('sweep-cli-');
  const spec = path.join(d, 'spec.yaml');
  await fsp.writeFile(spec, 'name: cli\nmodels: [bundled]\nanalyses:\n  - mosaic: { batch: 8 }\nseeds: [1, 2]\n');
  const dir = path.join(d, 'sweep');
  let r = cli('plan', spec, '--out', dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cli: 2 tasks \(1 model × 1 dataset × 1 analysis × 2 seeds\)/);

  r = cli('status', dir);
  assert.match(r.stdout, /cli: 2 tasks: 0 done, 0 running, 0 failed, 2 pending/);
  r = cli('run', dir, '--shard', '1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /shard 1 \(from --shard\) needs --of N/);
  r = cli('run', dir, '--shard', '1', '--of', '2');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^shard 1\/2: 1 done, 0 already done, 0 failed of 1$/m);
  r = cli('status', dir, '--json');
  assert.deepEqual(JSON.parse(r.stdout).counts, { pending: 1, running: 0, done: 1, failed: 0 });

  // Only the unfinished shard is in the array.
  r = cli('submit', dir, '--engine', 'slurm', '--shards', '2', '--gpus', '1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sweep\.sbatch: 1 of 2 shards \(1 unfinished tasks\)/);
  const sbatch = await fsp.readFile(path.join(dir, 'submit', 'sweep.sbatch'), 'utf8');
  assert.match(sbatch, /^#SBATCH --array=0$/m);
  assert.match(sbatch, /--provider cuda/);
  r = cli('submit', dir, '--engine', 'k8s', '--shards', '2', '--image', 'example/chronos-lens:1');
  assert.equal(r.code, 0, r.stderr);
  const job = parseYaml(await fsp.readFile(path.join(dir, 'submit', 'job.yaml'), 'utf8'));
  assert.equal(job.spec.completions, 2);
  assert.equal(job.spec.template.spec.containers[0].image, 'example/chronos-lens:1');
  r = cli('submit', dir, '--engine', 'ray');
  assert.equal(r.code, 0, r.stderr);
  r = cli('submit', dir, '--engine', 'ray', '--now');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--engine ray --now needs --address/);
  r = cli('submit', dir, '--engine', 'pbs');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--engine must be slurm, k8s, ray, got "pbs"/);

  r = cli('run', dir);
  assert.match(r.stdout, /^shard 0\/1: 1 done, 1 already done, 0 failed of 2$/m);
  r = cli('merge', dir, '--out', path.join(d, 'atlas.txt'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown extension \(expected \.html, \.json or \.csv\)/);
  for (const f of ['atlas.json', 'atlas.html', 'results.csv']) {
    r = cli('merge', dir, '--out', path.join(d, f));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /: 2 of 2 tasks$/m);
  }
  const atlas = JSON.parse(await fsp.readFile(path.join(d, 'atlas.json'), 'utf8'));
  // Links are relative to the atlas file.
  assert.match(atlas.tasks[0].manifest, /^sweep\/tasks\/[0-9a-f]{24}\/task\.json$/);
  assert.match(await fsp.readFile(path.join(d, 'atlas.html'), 'utf8'), /href="sweep\/tasks\/[0-9a-f]{24}\/task\.json"/);
  r = cli('submit', dir, '--engine', 'slurm');
  assert.match(r.stdout, /all 2 tasks are done; nothing to submit/);
});

test('SIGTERM (scancel, a pod deletion) marks the running task failed and exits with 143', async () => {
  const d = await tempDir('sweep-cli-');
  const spec = path.join(d, 'spec.yaml');
  // One long task: an ablation against many control sets.
  await fsp.writeFile(spec, 'models: [bundled]\nanalyses:\n  - ablate: { top: 2, controls: 200, batch: 64 }\n');
  const dir = path.join(d, 'sweep');
  assert.equal(cli('plan', spec, '--out', dir).code, 0);
  const p = spawn(process.execPath, [...cliArgs, 'run', dir], { cwd: repoRoot, env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  const statusFile = async () => {
    const ids = await fsp.readdir(path.join(dir, 'tasks')).catch(() => [] as string[]);
    return ids.length ? JSON.parse(await fsp.readFile(path.join(dir, 'tasks', ids[0], 'status.json'), 'utf8').catch(() => '{}')) : {};
  };
  for (let i = 0; (await statusFile()).state !== 'running'; i++) {
    assert.ok(i < 1200, 'the task never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  p.kill('SIGTERM');
  assert.equal(await exited, 143);
  const st = await statusFile();
  assert.equal(st.state, 'failed');
  assert.equal(st.error, 'killed (SIGTERM) while running');
  const r = cli('status', dir);
  assert.match(r.stdout, /1 tasks: 0 done, 0 running, 1 failed, 0 pending/);
  assert.match(r.stdout, /failed +[0-9a-f]{24} ablate chronos-t5-nano reference protocol: killed \(SIGTERM\) while running/);
});

test('hub models: planned offline by repo id, resolved from the Hugging Face cache when run, a clear line when absent', async () => {
  const d = await tempDir('sweep-cli-');
  const spec = path.join(d, 'spec.yaml');
  await fsp.writeFile(spec, 'models: [amazon/chronos-t5-small@0123456789abcdef0123456789abcdef01234567]\nanalyses:\n  - mosaic: { batch: 4 }\n');
  const dir = path.join(d, 'sweep');
  const hub = { ...env, HF_HUB_CACHE: path.join(d, 'empty-hub-cache'), HF_HUB_OFFLINE: '1' };
  const run = (...args: string[]) => spawnSync(process.execPath, [...cliArgs, ...args], { encoding: 'utf8', cwd: repoRoot, env: hub });
  let r = run('plan', spec, '--out', dir);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(await fsp.readFile(path.join(dir, 'sweep.json'), 'utf8'));
  assert.equal(plan.models[0].identity, 'hub:amazon/chronos-t5-small@0123456789abcdef0123456789abcdef01234567');
  r = run('prepare', dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^chronos-lens:? sweep: amazon\/chronos-t5-small \(revision "0123456789abcdef0123456789abcdef01234567"\) is not in the Hugging Face cache at .*empty-hub-cache\. Download it with/m);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  r = run('run', dir);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /shard 0\/1: 0 done, 0 already done, 1 failed of 1/);
  r = run('status', dir);
  assert.match(r.stdout, /failed +[0-9a-f]{24} mosaic amazon\/chronos-t5-small reference protocol: model amazon\/chronos-t5-small: amazon\/chronos-t5-small \(revision .*\) is not in the Hugging Face cache/);
});
