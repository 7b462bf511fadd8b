/**
 * A lock file per blob, so two downloads of the same file (two windows, the CLI and the extension) do not
 * write the same .incomplete at once.
 *
 * huggingface_hub uses `<cacheDir>/.locks/<repo folder>/<etag>.lock` with flock(), and leaves that file in
 * place after releasing it; Node has no flock, and an existence-based lock on the same name would wait
 * forever on a file Python left behind. So ours is `<etag>.chronos-lens.lock` next to it: created with
 * O_EXCL, holding {pid, host, time}, its mtime refreshed while held, removed on release, and taken over
 * when stale (its process is gone on this host, or it has not been refreshed for `staleMs`). It does not
 * exclude a concurrent huggingface_hub download of the same blob; the checksum check catches such a clash.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CancelledError } from '../errors';
import { sleep as abortableSleep } from '../progress';

export interface LockOptions {
  signal?: AbortSignal;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
  /** A lock not refreshed for this long is taken over (default 60 s). */
  staleMs?: number;
  /** How often the holder refreshes the lock (default 5 s). */
  refreshMs?: number;
}

export interface HeldLock {
  path: string;
  release(): Promise<void>;
}

/** Whether a process of this machine is alive (one we may not signal still counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(lockPath);
  } catch {
    return false; // gone: just retry the create
  }
  try {
    const owner = JSON.parse(await fs.promises.readFile(lockPath, 'utf8')) as { pid?: number; host?: string };
    if (owner.host === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid)) return true;
  } catch {
    /* being written, or not ours: judge by age */
  }
  return Date.now() - st.mtimeMs > staleMs;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return abortableSleep(ms, signal, 'Download cancelled.');
}

export async function acquireLock(lockPath: string, o: LockOptions = {}): Promise<HeldLock> {
  const staleMs = o.staleMs ?? 60_000;
  const refreshMs = o.refreshMs ?? 5_000;
  await fs.promises.mkdir(path.dirname(lockPath), { recursive: true });
  let waited = false;
  for (;;) {
    if (o.signal?.aborted) throw new CancelledError('Download cancelled.');
    try {
      const fh = await fs.promises.open(lockPath, 'wx');
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), time: new Date().toISOString() }));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (await isStale(lockPath, staleMs)) {
      // Take it over: remove and race for the create again (only one O_EXCL create wins).
      await fs.promises.rm(lockPath, { force: true });
      continue;
    }
    if (!waited) {
      waited = true;
      o.onWait?.();
    }
    await sleep(150, o.signal);
  }
  const timer = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now, () => undefined);
  }, refreshMs);
  timer.unref();
  let released = false;
  return {
    path: lockPath,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      await fs.promises.rm(lockPath, { force: true });
    },
  };
}
