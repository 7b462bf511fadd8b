/**
 * What names a model, for both adapters (the CLI's --model, the editor's chronosLens.model), and where
 * that checkpoint is on disk:
 *  - `bundled` (or empty): the bundled chronos-t5-nano (`<package root>/models/chronos-t5-nano`);
 *  - a folder: absolute, `~/…`, or relative to the given base folders (the CLI's working folder, the
 *    editor's workspace folders);
 *  - a Hugging Face repo id `owner/name`, optionally `@revision`, in the local hub cache (HF_HUB_CACHE /
 *    HF_HOME / ~/.cache/huggingface/hub), used in place. Downloading is the adapters' (progress and
 *    consent are theirs).
 * Light to import: core/hub's cache code is loaded only when a repo id is looked up.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../core/errors';
import { isValidRepoId, revisionProblem } from '../core/hub/names';

export const BUNDLED_MODEL_NAME = 'chronos-t5-nano';
/**
 * What the bundled model is, said wherever it is named (status bar, Select Model…, the series view):
 * its forecasts look like a real model's and must not be taken for Amazon's.
 */
export const BUNDLED_MODEL_NOTE = `${BUNDLED_MODEL_NAME} is a toy model, trained here on synthetic series so that it has induction heads; its forecasts are not Amazon's`;
/** The spec that names the bundled model. */
export const BUNDLED_SPEC = 'bundled';

export type ModelSourceKind = 'bundled' | 'folder' | 'hub';

export interface ResolvedModel {
  kind: ModelSourceKind;
  /** The checkpoint folder, absolute. */
  dir: string;
  /** Short name for the status bar: `chronos-t5-nano`, `chronos-t5-small`, the folder's name. */
  label: string;
  /** The spec as given. */
  setting: string;
  repoId?: string;
  revision?: string;
  commit?: string;
}

export interface ResolveEnv {
  /** The package root (the extension's, or the CLI's): the bundled model is under models/ there. */
  extensionRoot: string;
  /** Folders a relative path is resolved against, in order. */
  workspaceFolders?: readonly string[];
  homeDir?: string;
  /** Hugging Face hub cache folder (default: from the environment). */
  hubCacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

export function bundledModelDir(root: string): string {
  return path.join(root, 'models', BUNDLED_MODEL_NAME);
}

/** `dir` is the bundled model's folder under `root` (a result's ModelSummary.path says where it came from). */
export function isBundledDir(dir: string, root: string): boolean {
  return path.resolve(dir) === path.resolve(bundledModelDir(root));
}

export function isBundled(spec: string): boolean {
  const s = spec.trim();
  return s === '' || s.toLowerCase() === BUNDLED_SPEC;
}

export interface RepoSpec {
  repoId: string;
  /** From `@revision`, when the spec has one. */
  revision?: string;
}

/**
 * `owner/name` or `owner/name@revision`, as huggingface_hub accepts a repo id and git a revision; not a
 * path (`./a/b`, `~/a`, `/a/b`, anything with a backslash). Syntax only: whether a folder of that name
 * exists is the caller's question (looksLikeRepoId).
 */
export function parseRepoSpec(spec: string): RepoSpec | undefined {
  const s = spec.trim();
  if (s.startsWith('.') || s.startsWith('~') || s.includes('\\') || path.isAbsolute(s)) return undefined;
  const at = s.indexOf('@');
  const repoId = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? undefined : s.slice(at + 1);
  if (!repoId.includes('/') || !isValidRepoId(repoId)) return undefined;
  if (revision !== undefined && revisionProblem(revision)) return undefined;
  return revision === undefined ? { repoId } : { repoId, revision };
}

/** A repo spec (parseRepoSpec) that is not also a folder (`folderExists`, when given, says). */
export function looksLikeRepoId(spec: string, folderExists?: (p: string) => boolean): boolean {
  return parseRepoSpec(spec) !== undefined && !(folderExists?.(spec.trim()) ?? false);
}

/** The label shown before the model is loaded (no file system access). */
export function modelLabel(spec: string): string {
  const s = spec.trim();
  if (isBundled(s)) return BUNDLED_MODEL_NAME;
  const repo = parseRepoSpec(s);
  if (repo) return repo.repoId.split('/')[1];
  return path.basename(s.replace(/[\\/]+$/, '')) || s;
}

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/') || p.startsWith('~\\')) return path.join(home, p.slice(2));
  return p;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fsp.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves a spec to a folder; throws ChronosLensError (NOT_FOUND) with what was tried. */
export async function resolveModel(setting: string, env: ResolveEnv): Promise<ResolvedModel> {
  const s = setting.trim();
  if (isBundled(s)) {
    const dir = bundledModelDir(env.extensionRoot);
    if (!(await isDir(dir))) {
      throw new ChronosLensError('NOT_FOUND', `the bundled model is missing from this installation (${dir}); reinstall Chronos Lens or select another model`);
    }
    return { kind: 'bundled', dir, label: BUNDLED_MODEL_NAME, setting };
  }
  const home = env.homeDir ?? os.homedir();
  const expanded = expandHome(s, home);
  const candidates: string[] = [];
  if (path.isAbsolute(expanded)) candidates.push(expanded);
  else for (const w of env.workspaceFolders ?? []) candidates.push(path.resolve(w, expanded));
  for (const c of candidates) {
    if (await isDir(c)) return { kind: 'folder', dir: path.resolve(c), label: path.basename(path.resolve(c)), setting };
  }
  const repo = parseRepoSpec(s);
  if (repo) {
    const { repoId, revision = 'main' } = repo;
    const hub = await import('../core/hub');
    const cached = await hub.findCachedModel(repoId, revision, env.hubCacheDir, env.env ?? process.env);
    if (cached) return { kind: 'hub', dir: cached.path, label: repoId.split('/')[1], setting, repoId, revision, commit: cached.commit };
    const where = env.hubCacheDir ?? hub.defaultCacheDir(env.env ?? process.env);
    throw new ChronosLensError('NOT_FOUND', `${repoId}${revision !== 'main' ? `@${revision}` : ''} is not in the Hugging Face cache (${where}) and no folder "${s}" exists; download it first or select another model`);
  }
  if (candidates.length === 0) {
    throw new ChronosLensError('NOT_FOUND', `model folder "${s}" is relative, but no workspace folder is open to resolve it against; use an absolute path`);
  }
  throw new ChronosLensError('NOT_FOUND', `model folder ${candidates.join(' / ')} does not exist`);
}
