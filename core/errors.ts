/**
 * Errors users see. Every failure that bad input can cause is a ChronosLensError with a specific,
 * human-readable message (naming the file, field or tensor and what was expected) and a stable code
 * that adapters (CLI, extension) can map to exit codes or notification kinds.
 */
export type ErrorCode =
  | 'BAD_CHECKPOINT'
  | 'UNSUPPORTED_MODEL'
  | 'BAD_CONFIG'
  | 'BAD_INPUT'
  | 'BAD_CSV'
  | 'NOT_FOUND'
  | 'CANCELLED'
  | 'RUNTIME'
  | 'NETWORK'
  | 'IO';

export class ChronosLensError extends Error {
  readonly code: ErrorCode;
  /** Optional underlying error, kept for --debug output and logs. */
  override readonly cause?: unknown;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'ChronosLensError';
    this.code = code;
    this.cause = options?.cause;
  }
}

/** Thrown (or rejected with) when an AbortSignal fires. */
export class CancelledError extends ChronosLensError {
  constructor(message = 'Cancelled.') {
    super('CANCELLED', message);
    this.name = 'CancelledError';
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
}

/** A one-line description of any thrown value, for status lines, stderr and notifications. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or folder; check the path',
  EISDIR: 'is a folder where a file was expected; give a file',
  ENOTDIR: 'a part of the path is a file where a folder was expected; check the path',
  EACCES: 'permission denied; pick a location you can access',
  EPERM: 'operation not permitted; pick a location you can access',
  EROFS: 'the file system is read-only; pick a writable location',
  EEXIST: 'already exists and is in the way (a file where a folder is needed?); remove it or pick another path',
  ENOSPC: 'no space left on the device; free some space or pick another location',
  EDQUOT: 'disk quota exceeded; free some space or pick another location',
  ENAMETOOLONG: 'the file name is too long; use a shorter path',
  ELOOP: 'too many levels of symbolic links; check the path',
  EMFILE: 'too many open files; close other programs or raise the limit (ulimit -n)',
  EBUSY: 'the file is busy; try again when it is free',
  ENXIO: 'is not a regular file (a FIFO or a device with nothing on the other end); give a regular file',
  EINVAL: 'invalid argument for this kind of file; give a regular file',
  EXDEV: 'cannot move across file systems; use a folder on the same disk',
};

const ALLOCATION_FAILURES = /^(Invalid typed array length|Array buffer allocation failed|Invalid array length|Invalid string length|Maximum call stack size exceeded|Cannot create a string longer than|Invalid array buffer length|.*out of memory)/i;

/**
 * The one line a user sees for any thrown value: ChronosLensError messages as they are; Node's errno
 * errors (EISDIR, ENOENT, EACCES, EROFS, EEXIST, ENOTDIR, ENOSPC, ...) rewritten to name the path and
 * what to do; invalid URLs and allocation failures (typed array lengths, string lengths) explained.
 * Always a single line without terminal escapes; stacks are for --debug only.
 */
export function userMessage(e: unknown): string {
  return oneLine(describe(e));
}

function describe(e: unknown): string {
  if (e instanceof ChronosLensError) return e.message;
  if (!(e instanceof Error)) return String(e);
  const err = e as NodeJS.ErrnoException & { input?: unknown; dest?: string };
  if (err.code === 'ERR_INVALID_URL') return `invalid URL ${JSON.stringify(String(err.input ?? ''))}; check HF_ENDPOINT, the proxy variables and the repo id`;
  if (err.code === 'ERR_STRING_TOO_LONG' || (e instanceof RangeError && ALLOCATION_FAILURES.test(e.message)) || ALLOCATION_FAILURES.test(e.message)) {
    return `the request is too large to hold in memory (${e.message.split('\n')[0]}); use smaller sizes (see --help for the limits)`;
  }
  if (typeof err.code === 'string' && ERRNO_TEXT[err.code]) {
    const target = err.path ? `${err.path}${err.dest ? ` -> ${err.dest}` : ''}` : '';
    const action = err.syscall ? syscallVerb(err.syscall) : '';
    // without a path (a read on an open descriptor) the message can only say what failed
    const head = target ? `${action ? `cannot ${action} ` : ''}${target}` : `a file ${err.syscall ?? 'operation'} failed`;
    return `${head}: ${ERRNO_TEXT[err.code]} (${err.code})`;
  }
  return e.message || e.name;
}

function syscallVerb(syscall: string): string {
  if (syscall === 'open') return 'open';
  if (/^(read|stat|lstat|fstat|scandir|readlink|realpath|access)/.test(syscall)) return 'read';
  if (/^(mkdir|mkdtemp)/.test(syscall)) return 'create the folder';
  if (/^(rename|copyfile|link|symlink)/.test(syscall)) return 'move into place';
  if (/^(unlink|rmdir|rm)/.test(syscall)) return 'remove';
  return 'write';
}

/** Collapses a message to one line: no newlines, no terminal colour codes, bounded length. */
export function oneLine(s: string): string {
  const flat = s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > 600 ? `${flat.slice(0, 597)}...` : flat;
}
