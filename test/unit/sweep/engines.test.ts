/**
 * Cluster files of `sweep submit`: the Kubernetes Indexed Job validated against the Kubernetes
 * OpenAPI schema (kubernetes-models' generated validators; kubectl is not available here), the sbatch
 * script and the Ray entrypoints parsed by bash, the Ray Jobs REST payloads checked field by field
 * against the API's JobSubmitRequest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { EngineOptions, arrayRanges, jobName, k8sJob, k8sManifest, rayJobs, shellQuote, slurmScript } from '../../../analysis/sweep/engines';

const base: EngineOptions = {
  dir: '/shared/sweeps/sizes run',
  name: 'Sizes × datasets',
  shards: 8,
  cli: ['/usr/bin/node', '/opt/chronos lens/dist/cli.js'],
  cpus: 4,
  gpus: 1,
  provider: 'cuda',
  hfCache: '/shared/hf',
};

interface K8sModel {
  validate(): void;
}
async function jobClass(): Promise<new (data: unknown) => K8sModel> {
  return (await import('kubernetes-models/batch/v1/Job')).Job as unknown as new (data: unknown) => K8sModel;
}

function bashParses(script: string): void {
  const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, `bash -n: ${r.stderr}\n${script}`);
}

test('sbatch --array ranges and shell quoting', () => {
  assert.equal(arrayRanges([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  assert.equal(arrayRanges([3]), '3');
  assert.equal(arrayRanges([2, 0, 1, 1]), '0-2');
  assert.equal(shellQuote('plain/path-1.x'), 'plain/path-1.x');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  const r = spawnSync('bash', ['-c', `printf %s ${shellQuote("a b'c$HOME")}`], { encoding: 'utf8' });
  assert.equal(r.stdout, "a b'c$HOME");
});

test('the sbatch script: an array over the unfinished shards, GPUs, threads from the allocation', () => {
  const s = slurmScript({ ...base, indices: [0, 1, 2, 6], maxParallel: 2, partition: 'gpu', time: '02:00:00' });
  bashParses(s);
  assert.match(s, /^#!\/bin\/bash\n/);
  assert.match(s, /^#SBATCH --array=0-2,6%2$/m);
  assert.match(s, /^#SBATCH --gres=gpu:1$/m);
  assert.match(s, /^#SBATCH --cpus-per-task=4$/m);
  assert.match(s, /^#SBATCH --partition=gpu$/m);
  assert.match(s, /^#SBATCH --time=02:00:00$/m);
  assert.match(s, /^#SBATCH --output=\/shared\/sweeps\/sizes run\/logs\/slurm-%A_%a\.out$/m);
  assert.match(s, /^export HF_HUB_CACHE=\/shared\/hf$/m);
  assert.match(s, /^exec \/usr\/bin\/node '\/opt\/chronos lens\/dist\/cli\.js' sweep run '\/shared\/sweeps\/sizes run' --of 8 --provider cuda --threads "\$\{SLURM_CPUS_PER_TASK:-1\}"$/m);
  const cpu = slurmScript({ ...base, gpus: 0, provider: undefined });
  assert.doesNotMatch(cpu, /gres|--provider/);
  assert.match(cpu, /^#SBATCH --array=0-7$/m);
});

test('the Kubernetes Indexed Job validates against the Kubernetes OpenAPI schema', async () => {
  const Job = await jobClass();
  // The validator is real: a malformed Job is refused.
  assert.throws(() => new Job({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'x' }, spec: { completions: 'eight', template: { spec: { containers: [{ name: 1 }] } } } }).validate(), /completions must be integer/);

  const manifest = k8sManifest({ ...base, image: 'registry.example/chronos-lens:0.1.0', namespace: 'research', maxParallel: 3 });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed manifest, checked field by field below
  const job = parseYaml(manifest) as { spec: any; metadata: any };
  new Job(job).validate();
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, 8);
  assert.equal(job.spec.parallelism, 3);
  assert.equal(job.metadata.namespace, 'research');
  assert.match(job.metadata.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(job.metadata.name.length <= 63);
  const pod = job.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never');
  const [init] = pod.initContainers;
  assert.deepEqual(init.command, ['/usr/bin/node', '/opt/chronos lens/dist/cli.js', 'sweep', 'prepare', '/shared/sweeps/sizes run', '--download']);
  const [c] = pod.containers;
  assert.equal(c.image, 'registry.example/chronos-lens:0.1.0');
  assert.deepEqual(c.command.slice(2), ['sweep', 'run', '/shared/sweeps/sizes run', '--of', '8', '--provider', 'cuda', '--threads', '4']);
  assert.deepEqual(c.resources, { requests: { cpu: '4' }, limits: { 'nvidia.com/gpu': '1' } });
  assert.deepEqual(
    c.volumeMounts.map((m: { mountPath: string }) => m.mountPath),
    ['/shared/sweeps/sizes run', '/hf-cache'],
  );
  assert.deepEqual(c.env, [
    { name: 'HF_HUB_CACHE', value: '/hf-cache' },
    { name: 'CHRONOS_LENS_SHARDS', value: '8' },
  ]);
  assert.deepEqual(
    pod.volumes.map((v: { persistentVolumeClaim: { claimName: string } }) => v.persistentVolumeClaim.claimName),
    ['chronos-lens-sweep', 'chronos-lens-hf-cache'],
  );
  // Without GPUs there is no GPU limit, and it still validates.
  new Job(k8sJob({ ...base, gpus: 0 })).validate();
  assert.doesNotMatch(JSON.stringify(k8sJob({ ...base, gpus: 0 })), /nvidia/);
});

test('Ray Jobs REST payloads: one job per unfinished shard, fields of JobSubmitRequest', () => {
  const jobs = rayJobs({ ...base, indices: [1, 5], cli: ['chronos-lens'] });
  assert.equal(jobs.length, 2);
  const allowed = new Set(['entrypoint', 'submission_id', 'job_id', 'runtime_env', 'metadata', 'entrypoint_num_cpus', 'entrypoint_num_gpus', 'entrypoint_memory', 'entrypoint_resources']);
  jobs.forEach((j, k) => {
    const i = [1, 5][k];
    for (const key of Object.keys(j)) assert.ok(allowed.has(key), `unknown JobSubmitRequest field ${key}`);
    assert.equal(typeof j.entrypoint, 'string');
    bashParses(j.entrypoint);
    assert.match(j.entrypoint, /^chronos-lens sweep prepare '\/shared\/sweeps\/sizes run' --download && chronos-lens sweep run '\/shared\/sweeps\/sizes run' --of 8 --provider cuda --shard (\d) --threads 4$/);
    assert.ok(j.entrypoint.endsWith(`--shard ${i} --threads 4`));
    assert.match(j.submission_id, new RegExp(`^${jobName(base)}-${i}-[0-9a-z]+$`));
    for (const v of Object.values(j.runtime_env.env_vars)) assert.equal(typeof v, 'string');
    assert.deepEqual(j.runtime_env.env_vars, { CHRONOS_LENS_SHARD: String(i), CHRONOS_LENS_SHARDS: '8', HF_HUB_CACHE: '/shared/hf' });
    for (const v of Object.values(j.metadata)) assert.equal(typeof v, 'string');
    assert.equal(j.entrypoint_num_cpus, 4);
    assert.equal(j.entrypoint_num_gpus, 1);
  });
  assert.equal(rayJobs({ ...base, gpus: 0 })[0].entrypoint_num_gpus, undefined);
});
