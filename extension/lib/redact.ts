/**
 * Keeps secrets out of the output channel: the Hugging Face token (registered when it is read from or
 * written to SecretStorage), anything shaped like a Hugging Face token (`hf_…`), `Authorization: Bearer …`
 * values, and credentials in URLs (`http://user:password@proxy`). The extension's log channel passes
 * every line through `redact`. vscode-free.
 */

const HF_TOKEN = /\bhf_[A-Za-z0-9]{8,}\b/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi;
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi;

export class Redactor {
  readonly #secrets = new Set<string>();

  /** A secret to scrub from now on (short strings are ignored: they would mangle ordinary text). */
  add(secret: string | undefined): void {
    const s = secret?.trim();
    if (s && s.length >= 6) this.#secrets.add(s);
  }

  delete(secret: string | undefined): void {
    const s = secret?.trim();
    if (s) this.#secrets.delete(s);
  }

  redact(text: string): string {
    let out = text;
    // Longest first, so a secret containing another is scrubbed whole.
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out.replace(HF_TOKEN, 'hf_***').replace(BEARER, '$1***').replace(URL_CREDENTIALS, '$1***@');
  }
}

/** Scrubs an error (and the errors it carries as causes) in place, before it is shown or logged. */
export function redactError<E>(e: E, r: Redactor): E {
  const seen = new Set<unknown>();
  let cur: unknown = e;
  while (cur instanceof Error && !seen.has(cur)) {
    seen.add(cur);
    for (const key of ['message', 'stack'] as const) {
      const v = cur[key];
      if (typeof v !== 'string') continue;
      const clean = r.redact(v);
      if (clean !== v) {
        try {
          Object.defineProperty(cur, key, { value: clean, configurable: true, writable: true });
        } catch {
          /* frozen: leave it */
        }
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return e;
}
