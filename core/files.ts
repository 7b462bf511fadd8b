/**
 * Atomic file writes: a temporary file in the same folder, then a rename, so a crash or a full disk
 * never leaves a half-written export and an existing file is replaced in one step. Used by the CLI,
 * the analysis engine, the extension and the hub cache.
 *
 * And the guard every adapter runs before writing a result: an output path must not be one of the
 * request's inputs (the same file by path, through a symbolic link or as a hard link) nor lie inside a
 * model folder, since replacing either would destroy what the result was computed from.
 */
import { constants as fsConstants, promises as fsp, Stats } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError, userMessage } from './errors';

let seq = 0;

/** Temporary name next to `abs` (hidden, with the target's name, shortened so it stays a legal name). */
function tempName(abs: string): string {
  const base = path.basename(abs);
  const short = base.length > 160 ? base.slice(0, 160) : base;
  return path.join(path.dirname(abs), `.${short}.${process.pid}-${Date.now().toString(36)}-${(seq++).toString(36)}.tmp`);
}

/** Why a file-system call failed, in words a user can act on. */
function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOSPC'
    ? 'no space left on the device'
    : code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'the folder does not exist'
        : code === 'EISDIR'
          ? 'it is a folder; give a file name'
          : code === 'ENOTDIR'
            ? 'a part of the path is a file, not a folder'
            : code === 'EROFS'
              ? 'the file system is read-only'
              : userMessage(e);
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mkdir?: boolean } = {}): Promise<void> {
  const abs = path.resolve(file);
  const tmp = tempName(abs);
  let created = false;
  try {
    if (opts.mkdir) await fsp.mkdir(path.dirname(abs), { recursive: true });
    const st = await fsp.stat(abs).catch(() => undefined);
    if (st && st.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    await fsp.writeFile(tmp, data, { flag: 'wx' });
    created = true;
    await fsp.rename(tmp, abs);
    created = false;
  } catch (e) {
    // 'wx' failing with EEXIST means the name belonged to someone else: never remove what we did not create
    if (created || (e as NodeJS.ErrnoException).code !== 'EEXIST') await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new ChronosLensError('IO', `cannot write ${abs}: ${ioReason(e)}`, { cause: e });
  }
}

/**
 * Copies `files` into a new folder `<parent>/<name>` (`<name>-2`, `-3`, … when the name is taken), so
 * nothing that exists is ever overwritten or added to: the copy is made in a hidden temporary folder
 * beside it and renamed into place once complete. Returns the folder and the copied files' paths.
 */
export async function copyIntoNewFolder(files: string[], parent: string, name: string): Promise<{ folder: string; files: string[] }> {
  const dir = path.resolve(parent);
  const st = await fsp.stat(dir).catch((e: unknown) => {
    throw new ChronosLensError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `cannot copy into ${dir}: ${ioReason(e)}`, { cause: e });
  });
  if (!st.isDirectory()) throw new ChronosLensError('BAD_INPUT', `cannot copy into ${dir}: it is a file, not a folder`);
  let tmp: string | undefined;
  try {
    tmp = await fsp.mkdtemp(path.join(dir, `.${name}-`));
    for (const f of files) {
      await fsp.copyFile(f, path.join(tmp, path.basename(f)), fsConstants.COPYFILE_EXCL).catch((e: unknown) => {
        throw new ChronosLensError('IO', `cannot copy ${f} into ${dir}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : ioReason(e)}`, { cause: e });
      });
    }
    for (let i = 1; i <= 1000; i++) {
      const folder = path.join(dir, i === 1 ? name : `${name}-${i}`);
      // rename() would replace an empty folder of that name: never take a name that exists in any form
      if (await fsp.lstat(folder).then(() => true, () => false)) continue;
      await fsp.rename(tmp, folder);
      tmp = undefined;
      return { folder, files: files.map((f) => path.join(folder, path.basename(f))) };
    }
    throw new ChronosLensError('IO', `cannot copy into ${dir}: ${name} … ${name}-1000 all exist; pick another folder`);
  } catch (e) {
    if (e instanceof ChronosLensError) throw e;
    throw new ChronosLensError('IO', `cannot copy into ${dir}: ${ioReason(e)}`, { cause: e });
  } finally {
    if (tmp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The real path of `p` when it exists, else its parent's real path joined with its name (or `p` resolved). */
async function realish(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await fsp.realpath(abs);
  } catch {
    try {
      return path.join(await fsp.realpath(path.dirname(abs)), path.basename(abs));
    } catch {
      return abs;
    }
  }
}

function sameFile(a: Stats | undefined, b: Stats | undefined): boolean {
  return !!a && !!b && a.dev === b.dev && a.ino === b.ino;
}

function inside(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface OutputGuard {
  /** How the output is named in messages (e.g. "--out", "--save-tokens"). */
  name: string;
  /** Files the request reads (CSV, token batch, saved result); undefined entries are skipped. */
  inputs?: (string | undefined)[];
  /** Folders nothing may be written into (the checkpoint folder, the bundled model). Their files count as inputs too. */
  protectedDirs?: (string | undefined)[];
  /** Other outputs of the same run: two outputs on one file would overwrite each other. */
  otherOutputs?: { name: string; file: string | undefined }[];
}

/**
 * Refuses an output path that is an input of the request (same file by real path or device + inode, so
 * also through symbolic and hard links), lies inside a protected folder, is a folder, or collides with
 * another output. Checked before any work is done, so nothing is computed only to be refused.
 */
export async function checkOutputPath(file: string, g: OutputGuard): Promise<void> {
  if (file === '') throw new ChronosLensError('BAD_INPUT', `${g.name} needs a file name`);
  const real = await realish(file);
  const st = await fsp.stat(file).catch(() => undefined);
  if (st?.isDirectory()) throw new ChronosLensError('BAD_INPUT', `${g.name} ${file} is a folder; give a file name`);
  if (st && !st.isFile()) throw new ChronosLensError('BAD_INPUT', `${g.name} ${file} is not a regular file (a FIFO, socket or device); give a file name`);
  const refuse = (what: string) => {
    throw new ChronosLensError('BAD_INPUT', `${g.name} ${file} ${what}; write the result to another path`);
  };
  for (const input of g.inputs ?? []) {
    if (!input) continue;
    const ist = await fsp.stat(input).catch(() => undefined);
    if (real === (await realish(input)) || sameFile(st, ist)) refuse(`is the input ${input} (the same file)`);
  }
  for (const dir of g.protectedDirs ?? []) {
    if (!dir) continue;
    const realDir = await realish(dir);
    if (inside(real, realDir) || inside(path.resolve(file), path.resolve(dir))) refuse(`is inside the model folder ${dir}`);
    if (st) {
      // a hard link elsewhere to one of the model's files (e.g. a Hugging Face cache blob)
      const names = await fsp.readdir(realDir).catch(() => [] as string[]);
      for (const n of names) if (sameFile(st, await fsp.stat(path.join(realDir, n)).catch(() => undefined))) refuse(`is the model file ${path.join(dir, n)} (the same file)`);
    }
  }
  for (const o of g.otherOutputs ?? []) {
    if (o.file && (await realish(o.file)) === real) refuse(`is also given to ${o.name}`);
  }
}
