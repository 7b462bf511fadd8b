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
