/**
 * What `--model` names, and which onnxruntime-node runs it:
 *  - `--model` is a folder on disk (used as is), or a hub repo id `owner/name[@revision]` (models/source.ts;
 *    e.g. amazon/chronos-t5-small, or with --revision)
 *    taken from the Hugging Face cache (HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub) without any
 *    network access, or downloaded into it when `--download` is given (honouring HF_ENDPOINT,
 *    HF_HUB_OFFLINE, HF_TOKEN and the proxy variables); absent: the bundled model;
 *  - with `--provider cuda` (or `auto` where auto means CUDA) and a GPU package staged by
 *    `chronos-lens models gpu --install` in the default folder (CHRONOS_LENS_GPU_DIR, else
 *    ~/.local/share/chronos-lens/gpu), ORT is loaded from that package before the model
 *    (models/runtime/provision.ts).
 */
import * as fs from 'node:fs';
import { ChronosLensError } from '../core/errors';
import { downloadModel, findCachedModel, findHubToken, formatBytes, resolveHubSettings, type DownloadProgress, type Env } from '../core/hub';
import { looksLikeRepoId as specLooksLikeRepoId, parseRepoSpec } from '../models/source';
import type { CliIO } from './common';

// The CLI's entry points import it from here with the rest of the model set-up.
export { provisionGpuRuntime } from '../models/runtime/provision';

/** `owner/name[@revision]` (models/source.ts) that is not a folder on disk. */
export function looksLikeRepoId(model: string): boolean {
  return specLooksLikeRepoId(model, fs.existsSync);
}

/**
 * Progress of a hub download on stderr: a bar redrawn in place on a terminal, else a line every few
 * seconds (logs, CI) and at the end.
 */
export function downloadProgress(io: CliIO, label: string): { onProgress: (p: DownloadProgress | { fraction?: number; message?: string }) => void; done: () => void } {
  const tty = !!io.stderr.isTTY;
  let last = '';
  let lastLine = 0;
  return {
    onProgress: (u) => {
      const f = Math.max(0, Math.min(1, u.fraction ?? 0));
      if (tty) {
        const width = 28;
        const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '░');
        const line = `${label} ${bar} ${(f * 100).toFixed(0).padStart(3)}%${u.message ? '  ' + u.message : ''}`;
        if (line !== last) io.stderr.write(`\r\x1b[2K${line.slice(0, (io.stderr.columns ?? 100) - 1)}`);
        last = line;
        return;
      }
      const now = Date.now();
      const phase = (u as { phase?: string }).phase;
      if (phase === 'downloading' && now - lastLine < 2000) return;
      const line = `${label}: ${u.fraction !== undefined ? `${(f * 100).toFixed(0)}% ` : ''}${u.message ?? ''}`.trimEnd();
      if (line === last) return;
      io.stderr.write(line + '\n');
      last = line;
      lastLine = now;
    },
    done: () => {
      if (tty && last) io.stderr.write('\r\x1b[2K');
    },
  };
}

export interface ModelSourceOptions {
  revision?: string;
  download?: boolean;
  /** Hugging Face token; default HF_TOKEN / HUGGING_FACE_HUB_TOKEN / the token file of `huggingface-cli login`. */
  token?: string;
  env?: Env;
  io?: CliIO;
}

/** The checkpoint folder `--model` names (see the module comment). */
export async function resolveModelDir(model: string | undefined, fallback: string, o: ModelSourceOptions = {}): Promise<string> {
  if (!model) return fallback;
  if (!looksLikeRepoId(model)) {
    if (o.download) throw new ChronosLensError('BAD_INPUT', `--download needs --model owner/name (a Hugging Face repo id), got the folder "${model}"`);
    return model;
  }
  const spec = parseRepoSpec(model)!;
  if (spec.revision !== undefined && o.revision !== undefined && spec.revision !== o.revision) {
    throw new ChronosLensError('BAD_INPUT', `--model ${model} names revision "${spec.revision}" but --revision says "${o.revision}"; give one of them`);
  }
  const repoId = spec.repoId;
  const env = o.env ?? process.env;
  const revision = o.revision ?? spec.revision ?? 'main';
  const hub = resolveHubSettings({ env });
  if (!o.download) {
    const cached = await findCachedModel(repoId, revision, hub.cacheDir);
    if (cached) return cached.path;
    throw new ChronosLensError(
      'NOT_FOUND',
      `${repoId} (revision "${revision}") is not in the Hugging Face cache at ${hub.cacheDir}. Download it with "chronos-lens models download ${repoId}" or add --download; or pass a checkpoint folder.`,
    );
  }
  const bar = o.io ? downloadProgress(o.io, `Downloading ${repoId}`) : undefined;
  try {
    const r = await downloadModel(repoId, { revision, env, token: o.token ?? findHubToken(env), signal: o.io?.signal, onProgress: bar?.onProgress });
    bar?.done();
    if (o.io && r.offlineReason) o.io.stderr.write(`chronos-lens: ${r.offlineReason}\n`);
    else if (o.io && r.bytesDownloaded > 0) o.io.stderr.write(`chronos-lens: downloaded ${repoId} (${formatBytes(r.bytesDownloaded)}) to ${r.path}\n`);
    return r.path;
  } catch (e) {
    bar?.done();
    throw e;
  }
}
