/**
 * Names that become paths in the hub cache, checked before anything is written: a repo id (a folder
 * name), a revision (refs/<revision>), a commit (snapshots/<commit>), an ETag (blobs/<etag>) and a file
 * name inside a repository (snapshots/<commit>/<file>). Each comes from a user's flag or from a server
 * (or a proxy or mirror behind HF_ENDPOINT), so none is trusted: what huggingface_hub and git accept is
 * accepted, anything else is refused with one line, and `assertInside` re-checks every resolved path.
 */
import * as path from 'path';
import { ChronosLensError } from '../errors';
import { HubError } from './hub-error';

export const COMMIT_HASH = /^[0-9a-f]{40}$/;
/** Blob names: a git blob sha1 (small files) or an LFS sha256. */
const ETAG = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}]/u;

/** A value quoted for a message: short, one line, invisible characters spelled out. */
export function quoteName(v: string, max = 60): string {
  const cut = v.length > max ? `${v.slice(0, max)}…` : v;
  const shown = cut.replace(/[\p{Cc}\p{Cf}\\"]/gu, (c) => (c === '\\' || c === '"' ? `\\${c}` : `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`));
  return `"${shown}"`;
}

// huggingface_hub's validate_repo_id: `^(\b[\w\-.]+\b/)?\b[\w\-.]{1,96}\b$`, no `--` or `..`, no `.git`
// suffix; each part starts and ends with a word character. ASCII only, as the hub's own names are.
const PART = '[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?';
const REPO_ID = new RegExp(`^(?:(${PART})/)?(${PART})$`);

/** Hub repo ids: `name` or `namespace/name`, as huggingface_hub's validate_repo_id accepts them. */
export function isValidRepoId(repoId: string): boolean {
  const m = REPO_ID.exec(repoId);
  if (!m) return false;
  return (m[1] ?? '').length <= 96 && m[2].length <= 96 && !repoId.includes('--') && !repoId.includes('..') && !repoId.endsWith('.git');
}

export function checkRepoId(repoId: string): void {
  if (!isValidRepoId(repoId)) {
    throw new ChronosLensError('BAD_INPUT', `${quoteName(repoId)} is not a Hugging Face model id (expected owner/name of letters, digits, "-", "_" and ".", e.g. amazon/chronos-t5-small).`);
  }
}

/**
 * Why `rev` is not a revision (a branch, tag or commit as git check-ref-format allows it: no `..`, no
 * component starting with `.` or ending with `.lock`, no control characters, space, `~ ^ : ? * [ \`,
 * no `@{`, no empty component), or undefined when it is one.
 */
export function revisionProblem(rev: string): string | undefined {
  if (!rev) return 'it is empty';
  if (rev.length > 255) return 'it is longer than 255 characters';
  if (CONTROL_OR_FORMAT.test(rev)) return 'it contains control or invisible characters';
  if (/[ ~^:?*[\\]/.test(rev)) return 'it contains one of space ~ ^ : ? * [ \\';
  if (rev.includes('..')) return 'it contains ".."';
  if (rev.includes('@{') || rev === '@') return 'it contains "@{" or is "@"';
  if (rev.startsWith('/') || rev.endsWith('/') || rev.includes('//')) return 'it has an empty path component';
  if (rev.endsWith('.')) return 'it ends with "."';
  for (const part of rev.split('/')) {
    if (part.startsWith('.')) return 'a component starts with "."';
    if (part.endsWith('.lock')) return 'a component ends with ".lock"';
  }
  return undefined;
}

export function checkRevision(rev: string): void {
  const why = revisionProblem(rev);
  if (why) throw new ChronosLensError('BAD_INPUT', `Revision ${quoteName(rev)} is not a branch, tag or commit name (${why}).`);
}

/** huggingface_hub's _normalize_etag (no W/ prefix, no quotes), then only a git sha1 or a sha256 is accepted. */
export function checkEtag(raw: string | undefined, header: string, where: string): string | undefined {
  if (raw === undefined) return undefined;
  const etag = raw.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (!ETAG.test(etag)) {
    throw new HubError('NETWORK', 'bad-name', `${where} sent ${header} ${quoteName(raw)}, which is not a git sha1 or sha256 (40 or 64 lowercase hex digits): it cannot name a file in the Hugging Face cache, so nothing was downloaded. Check HF_ENDPOINT and the proxy setting.`);
  }
  return etag;
}

export function checkCommit(raw: string | undefined, where: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!COMMIT_HASH.test(raw)) {
    throw new HubError('NETWORK', 'bad-name', `${where} sent X-Repo-Commit ${quoteName(raw)}, which is not a commit hash (40 lowercase hex digits), so nothing was downloaded. Check HF_ENDPOINT and the proxy setting.`);
  }
  return raw;
}

/**
 * Why `name` is not a safe file name inside a repository (relative, `/`-separated, no empty, `.` or `..`
 * component, no backslash, drive letter, control or invisible characters, components of at most 255
 * characters), or undefined when it is one.
 */
export function repoFileProblem(name: string): string | undefined {
  if (!name) return 'it is empty';
  if (name.length > 1024) return 'it is longer than 1024 characters';
  if (CONTROL_OR_FORMAT.test(name)) return 'it contains control or invisible characters';
  if (name.includes('\\')) return 'it contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'it is an absolute path';
  if (name.includes('..')) return 'it contains ".."';
  for (const part of name.split('/')) {
    if (part === '' || part === '.') return 'it has an empty or "." path component';
    if (part.length > 255) return 'a path component is longer than 255 characters';
  }
  return undefined;
}

/** `p` resolved lies inside `dir` (or is it). The last guard before writing, after the checks above. */
export function isInside(dir: string, p: string): boolean {
  const rel = path.relative(path.resolve(dir), path.resolve(p));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

export function assertInside(dir: string, p: string, what: string): void {
  if (!isInside(dir, p)) {
    throw new HubError('IO', 'bad-name', `Refused to write ${what} at ${quoteName(p, 200)}: it is outside ${dir}.`);
  }
}
