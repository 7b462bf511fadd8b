/**
 * What `sweep submit` hands to a cluster: an sbatch array script (Slurm), an Indexed Job manifest
 * (Kubernetes), or Ray Jobs REST API payloads (one job per shard: the Jobs API runs one entrypoint
 * per job). Every element runs `sweep run DIR --of N`, its shard index coming from the engine
 * (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, CHRONOS_LENS_SHARD for Ray). Models are resolved before
 * any shard starts: `sweep submit --now` runs the prepare step itself for Slurm (on the submitting
 * host, which shares the Hugging Face cache), and Kubernetes pods and Ray jobs start with
 * `sweep prepare`, which downloads under the hub cache's lock, so only the first one downloads.
 */
import { createHash } from 'node:crypto';
import { stringify as yamlStringify } from 'yaml';

export const ENGINES = ['slurm', 'k8s', 'ray'] as const;
export type Engine = (typeof ENGINES)[number];

export interface EngineOptions {
  /** The sweep folder, absolute (the same path on every node: a shared file system or volume). */
  dir: string;
  name: string;
  /** Number of shards (array size). */
  shards: number;
  /** Shards to run (default all); a resubmission runs only those with unfinished tasks. */
  indices?: number[];
  /** The CLI as an argv prefix, e.g. ["chronos-lens"] or [node, dist/cli.js]. */
  cli: string[];
  cpus: number;
  gpus: number;
  /** Execution provider passed to sweep run (default: the spec's, else auto). */
  provider?: string;
  /** Hugging Face cache (HF_HUB_CACHE) the shards read models from. */
  hfCache?: string;
  /** Slurm: partition, time limit, concurrent elements. */
  partition?: string;
  time?: string;
  maxParallel?: number;
  /** Kubernetes: image, namespace, PVC names for the sweep folder and the HF cache. */
  image?: string;
  namespace?: string;
  sweepClaim?: string;
  cacheClaim?: string;
}

/** POSIX shell quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Compresses [0,1,2,5,7,8] into "0-2,5,7-8" (sbatch --array syntax). */
export function arrayRanges(ix: number[]): string {
  const s = [...new Set(ix)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** A DNS-1123 name from the sweep name and folder (Kubernetes object names, Ray submission ids). */
export function jobName(o: Pick<EngineOptions, 'name' | 'dir'>): string {
  const slug = o.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'sweep';
  return `chronos-lens-${slug}-${createHash('sha256').update(o.dir).digest('hex').slice(0, 8)}`;
}

function runArgs(o: EngineOptions, extra: string[] = []): string[] {
  return [...o.cli, 'sweep', 'run', o.dir, '--of', String(o.shards), ...(o.provider ? ['--provider', o.provider] : []), ...extra];
}

export function slurmScript(o: EngineOptions): string {
  const indices = o.indices ?? Array.from({ length: o.shards }, (_, i) => i);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName(o).slice(0, 64)}`,
    `#SBATCH --array=${arrayRanges(indices)}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
    `#SBATCH --output=${o.dir}/logs/slurm-%A_%a.out`,
    `#SBATCH --cpus-per-task=${o.cpus}`,
  ];
  if (o.gpus > 0) lines.push(`#SBATCH --gres=gpu:${o.gpus}`);
  if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
  if (o.time) lines.push(`#SBATCH --time=${o.time}`);
  lines.push(
    '# Written by chronos-lens sweep submit. Each array element runs one shard of the sweep; rerunning',
    '# skips finished tasks. Models must be in the Hugging Face cache first: chronos-lens sweep prepare.',
    'set -eu',
  );
  if (o.hfCache) lines.push(`export HF_HUB_CACHE=${shellQuote(o.hfCache)}`);
  lines.push(`exec ${runArgs(o, ['--threads', '"${SLURM_CPUS_PER_TASK:-1}"']).map((a) => (a.startsWith('"') ? a : shellQuote(a))).join(' ')}`, '');
  return lines.join('\n');
}

const HF_MOUNT = '/hf-cache';

/** The Indexed Job (a plain object; see k8sManifest for the YAML). */
export function k8sJob(o: EngineOptions): Record<string, unknown> {
  const name = jobName(o);
  const env = [
    { name: 'HF_HUB_CACHE', value: HF_MOUNT },
    { name: 'CHRONOS_LENS_SHARDS', value: String(o.shards) },
  ];
  const mounts = [
    { name: 'sweep', mountPath: o.dir },
    { name: 'hf-cache', mountPath: HF_MOUNT },
  ];
  const resources: Record<string, Record<string, string>> = { requests: { cpu: String(o.cpus) } };
  if (o.gpus > 0) resources.limits = { 'nvidia.com/gpu': String(o.gpus) };
  const image = o.image ?? 'chronos-lens:latest';
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, ...(o.namespace ? { namespace: o.namespace } : {}), labels: { 'app.kubernetes.io/name': 'chronos-lens', 'app.kubernetes.io/component': 'sweep' } },
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: Math.min(o.shards, o.maxParallel ?? o.shards),
      backoffLimit: o.shards * 2,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'chronos-lens', 'app.kubernetes.io/component': 'sweep' } },
        spec: {
          restartPolicy: 'Never',
          initContainers: [{ name: 'prepare', image, command: [...o.cli, 'sweep', 'prepare', o.dir, '--download'], env, volumeMounts: mounts }],
          containers: [{ name: 'shard', image, command: runArgs(o, ['--threads', String(o.cpus)]), env, resources, volumeMounts: mounts }],
          volumes: [
            { name: 'sweep', persistentVolumeClaim: { claimName: o.sweepClaim ?? 'chronos-lens-sweep' } },
            { name: 'hf-cache', persistentVolumeClaim: { claimName: o.cacheClaim ?? 'chronos-lens-hf-cache' } },
          ],
        },
      },
    },
  };
}

export function k8sManifest(o: EngineOptions): string {
  return `# Written by chronos-lens sweep submit: an Indexed Job, one pod per shard (JOB_COMPLETION_INDEX).\n${yamlStringify(k8sJob(o))}`;
}

/** A Ray Jobs REST API request body (POST /api/jobs/). */
export interface RayJobRequest {
  entrypoint: string;
  submission_id: string;
  runtime_env: { env_vars: Record<string, string> };
  metadata: Record<string, string>;
  entrypoint_num_cpus: number;
  entrypoint_num_gpus?: number;
}

export function rayJobs(o: EngineOptions): RayJobRequest[] {
  const indices = o.indices ?? Array.from({ length: o.shards }, (_, i) => i);
  const name = jobName(o);
  const prepare = [...o.cli, 'sweep', 'prepare', o.dir, '--download'].map(shellQuote).join(' ');
  return indices.map((i) => {
    const env: Record<string, string> = { CHRONOS_LENS_SHARD: String(i), CHRONOS_LENS_SHARDS: String(o.shards) };
    if (o.hfCache) env.HF_HUB_CACHE = o.hfCache;
    const req: RayJobRequest = {
      entrypoint: `${prepare} && ${runArgs(o, ['--shard', String(i), '--threads', String(o.cpus)]).map(shellQuote).join(' ')}`,
      // Unique per submission: Ray refuses a submission id it has seen.
      submission_id: `${name}-${i}-${Date.now().toString(36)}`,
      runtime_env: { env_vars: env },
      metadata: { 'chronos-lens-sweep': o.dir, shard: `${i}/${o.shards}` },
      entrypoint_num_cpus: o.cpus,
    };
    if (o.gpus > 0) req.entrypoint_num_gpus = o.gpus;
    return req;
  });
}
