/**
 * What `chronosLens.model` names, and where that checkpoint is on disk:
 *  - `bundled` (or empty): the bundled chronos-t5-nano (`<extension>/models/chronos-t5-nano`);
 *  - a folder: absolute, `~/…`, or relative to the first workspace folder;
 *  - a Hugging Face repo id (`amazon/chronos-t5-small`, optionally `@revision`) already in the local
 *    hub cache (HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub), used in place.
 * vscode-free.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../../core/errors';
import { BUNDLED_MODEL } from './settings';

export const BUNDLED_MODEL_NAME = 'chronos-t5-nano';

export type ModelSourceKind = 'bundled' | 'folder' | 'hub';

export interface ResolvedModel {
  kind: ModelSourceKind;
  /** The checkpoint folder, absolute. */
  dir: string;
  /** Short name for the status bar: `chronos-t5-nano`, `chronos-t5-small`, the folder's name. */
  label: string;
  /** The setting's value as given. */
  setting: string;
  repoId?: string;
  revision?: string;
  commit?: string;
}

export interface ResolveEnv {
  /** The extension's root (the bundled model is under models/ there). */
  extensionRoot: string;
  /** Workspace folders (file system paths), for relative model paths. */
  workspaceFolders?: readonly string[];
  homeDir?: string;
  /** Hugging Face hub cache folder (default: from the environment). */
  hubCacheDir?: string;
  env?: NodeJS.ProcessEnv;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*(@[A-Za-z0-9_./-]+)?$/;

export function bundledModelDir(extensionRoot: string): string {
  return path.join(extensionRoot, 'models', BUNDLED_MODEL_NAME);
}

export function isBundled(setting: string): boolean {
  const s = setting.trim();
  return s === '' || s.toLowerCase() === BUNDLED_MODEL;
}

/** Looks like `owner/name` or `owner/name@rev` (and is not a path such as `./a/b` or `~/a`). */
export function looksLikeRepoId(setting: string): boolean {
  return REPO_ID.test(setting.trim()) && !setting.startsWith('.');
}

/** The label shown before the model is loaded (no file system access). */
export function modelLabel(setting: string): string {
  const s = setting.trim();
  if (isBundled(s)) return BUNDLED_MODEL_NAME;
  if (looksLikeRepoId(s) && !path.isAbsolute(s)) return s.split('@')[0].split('/')[1];
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

/** Resolves the setting to a folder; throws ChronosLensError (NOT_FOUND) with what was tried. */
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
  if (looksLikeRepoId(s) && !path.isAbsolute(expanded)) {
    const [repoId, revision = 'main'] = s.split('@');
    const hub = await import('../../core/hub');
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
