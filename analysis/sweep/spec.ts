/**
 * The sweep spec: a YAML file naming models, data, analyses with their options, and seeds. Parsing
 * validates every field and collects one line per problem (naming the field path and what is
 * expected), so a user fixes a spec in one pass instead of one error per run. Every list and every
 * number is bounded, so a typo cannot plan a billion tasks.
 *
 *   models:   [bundled | PATH | owner/name | {path: PATH} | {hub: owner/name, revision: REV}]
 *   data:     [reference | {csv: FILE-OR-GLOB, column: NAME}]
 *   analyses: [mosaic | ablate | forecast | attribute | {mosaic: {...options}} | ...]
 *   seeds:    [N, ...]                  (default: each analysis's own default seed)
 *   runtime:  {threads: N, provider: cpu|auto|cuda|...}   (how to run, not part of any task's identity)
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ChronosLensError } from '../../core/errors';

export const SWEEP_FORMAT = 'chronos-lens-sweep/1';

export const LIMITS = {
  specBytes: 1 << 20,
  models: 64,
  dataEntries: 1000,
  datasets: 10000,
  analyses: 32,
  seeds: 1000,
  tasks: 200000,
  seed: 2 ** 31 - 1,
};

export type ModelRef = { kind: 'bundled' } | { kind: 'path'; path: string } | { kind: 'hub'; repo: string; revision: string };
export type DataRef = { kind: 'reference' } | { kind: 'csv'; pattern: string; column?: string };

export interface MosaicSpec {
  type: 'mosaic';
  kinds: ('cross' | 'encoder' | 'decoder')[];
  batch: number;
  seqLen: number;
  repeats: number;
  subExtension: number;
  vocab?: [number, number];
  threshold: number;
  /** Also run the data-driven variant on every CSV dataset. */
  onData: boolean;
}
export interface AblateSpec {
  type: 'ablate';
  /** Explicit heads ("L0.H1,cross:L1.H2"), or the top-k cross-attention heads of the model's reference mosaic. */
  heads?: string;
  top?: number;
  method: 'zero' | 'mean';
  controls: number;
  /** Held-out points of the CSV datasets (default: the model's prediction length). */
  heldOut?: number;
  samples?: number;
  batch: number;
}
export interface ForecastSpec {
  type: 'forecast';
  heldOut?: number;
  samples?: number;
  period?: number;
}
export interface AttributeSpec {
  type: 'attribute';
  /** Forecast step whose prediction is attributed (0-based). */
  step: number;
  target: 'logit' | 'logprob' | 'expected';
}
export type AnalysisSpec = MosaicSpec | AblateSpec | ForecastSpec | AttributeSpec;
export const ANALYSIS_TYPES = ['mosaic', 'ablate', 'forecast', 'attribute'] as const;

export interface SweepSpec {
  name: string;
  models: ModelRef[];
  data: DataRef[];
  analyses: AnalysisSpec[];
  /** null: the analysis's own default seed. */
  seeds: (number | null)[];
  runtime: { threads?: number; provider?: string };
}

/** A spec with problems: one line each. The CLI prints every line. */
export class SpecError extends ChronosLensError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super('BAD_INPUT', `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the sweep spec: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
    this.name = 'SpecError';
  }
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"` : typeof v === 'object' ? 'a map' : String(v));

class Checker {
  readonly problems: string[] = [];
  bad(at: string, what: string): undefined {
    if (this.problems.length < 100) this.problems.push(`${at}: ${what}`);
    return undefined;
  }
  keys(o: Obj, at: string, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.bad(`${at}.${k}`, `unknown field (expected ${allowed.join(', ')})`);
  }
  int(o: Obj, key: string, at: string, min: number, max: number): number | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return this.bad(`${at}.${key}`, `must be an integer in [${min}, ${max}], got ${describe(v)}`);
    return v;
  }
  num(o: Obj, key: string, at: string, min: number, max: number): number | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return this.bad(`${at}.${key}`, `must be a number in [${min}, ${max}], got ${describe(v)}`);
    return v;
  }
  str(o: Obj, key: string, at: string, max = 4096): string | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.trim() || v.length > max) return this.bad(`${at}.${key}`, `must be a non-empty string of at most ${max} characters, got ${describe(v)}`);
    return v;
  }
  bool(o: Obj, key: string, at: string): boolean | undefined {
    const v = o[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') return this.bad(`${at}.${key}`, `must be true or false, got ${describe(v)}`);
    return v;
  }
  list(v: unknown, at: string, max: number, required: boolean): unknown[] | undefined {
    if (v === undefined) return required ? this.bad(at, 'is required (a list)') : undefined;
    if (!Array.isArray(v)) return this.bad(at, `must be a list, got ${describe(v)}`);
    if (required && v.length === 0) return this.bad(at, 'must not be empty');
    if (v.length > max) return this.bad(at, `has ${v.length} entries; at most ${max} are allowed`);
    return v;
  }
}

function parseModel(c: Checker, v: unknown, at: string): ModelRef | undefined {
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === 'bundled') return { kind: 'bundled' };
    if (!s || s.length > 4096) return c.bad(at, 'must be "bundled", a checkpoint folder or a Hugging Face repo id owner/name');
    const at_ = s.lastIndexOf('@');
    if (!s.startsWith('.') && !s.startsWith('/') && !s.startsWith('~') && REPO_ID.test(at_ > 0 ? s.slice(0, at_) : s) && !s.includes('\\')) {
      // owner/name[@revision] is a hub id unless written as a path (./owner/name).
      const repo = at_ > 0 ? s.slice(0, at_) : s;
      const revision = at_ > 0 ? s.slice(at_ + 1) : 'main';
      if (!REVISION.test(revision)) return c.bad(at, `revision "${revision}" is not a branch, tag or commit`);
      return { kind: 'hub', repo, revision };
    }
    return { kind: 'path', path: s };
  }
  if (!isObj(v)) return c.bad(at, `must be "bundled", a path, owner/name, {path: ...} or {hub: owner/name, revision: ...}, got ${describe(v)}`);
  if ('hub' in v) {
    c.keys(v, at, ['hub', 'revision']);
    const repo = c.str(v, 'hub', at, 200);
    const revision = c.str(v, 'revision', at, 128) ?? 'main';
    if (repo !== undefined && !REPO_ID.test(repo)) return c.bad(`${at}.hub`, `must be a Hugging Face repo id owner/name, got "${repo}"`);
    if (!REVISION.test(revision)) return c.bad(`${at}.revision`, `"${revision}" is not a branch, tag or commit`);
    return repo ? { kind: 'hub', repo, revision } : undefined;
  }
  if ('path' in v) {
    c.keys(v, at, ['path']);
    const p = c.str(v, 'path', at);
    return p ? { kind: 'path', path: p } : undefined;
  }
  return c.bad(at, 'a model map needs "path" or "hub"');
}

function parseData(c: Checker, v: unknown, at: string): DataRef | undefined {
  if (v === 'reference') return { kind: 'reference' };
  if (typeof v === 'string') return { kind: 'csv', pattern: v };
  if (!isObj(v)) return c.bad(at, `must be "reference", a CSV file or glob, or {csv: FILE-OR-GLOB, column: NAME}, got ${describe(v)}`);
  c.keys(v, at, ['csv', 'column']);
  const pattern = c.str(v, 'csv', at);
  if (v.csv === undefined) return c.bad(`${at}.csv`, 'is required (a CSV file or glob, relative to the spec file)');
  const column = c.str(v, 'column', at, 256);
  return pattern ? { kind: 'csv', pattern, column } : undefined;
}

function parseAnalysis(c: Checker, v: unknown, at: string): AnalysisSpec | undefined {
  let type: string;
  let o: Obj = {};
  if (typeof v === 'string') type = v;
  else if (isObj(v) && Object.keys(v).length === 1) {
    type = Object.keys(v)[0];
    const inner = v[type];
    if (inner === null || inner === undefined) o = {};
    else if (isObj(inner)) o = inner;
    else return c.bad(`${at}.${type}`, `options must be a map, got ${describe(inner)}`);
  } else return c.bad(at, `must be an analysis name (${ANALYSIS_TYPES.join(', ')}) or a one-key map {name: {options}}, got ${describe(v)}`);
  const a = `${at}.${type}`;
  switch (type) {
    case 'mosaic': {
      c.keys(o, a, ['kinds', 'batch', 'seqLen', 'repeats', 'subExtension', 'vocab', 'threshold', 'onData']);
      let kinds: MosaicSpec['kinds'] = ['cross'];
      if (o.kinds !== undefined) {
        const k = c.list(o.kinds, `${a}.kinds`, 3, true);
        if (k) {
          if (k.some((x) => x !== 'cross' && x !== 'encoder' && x !== 'decoder') || new Set(k).size !== k.length) c.bad(`${a}.kinds`, 'must list distinct kinds among cross, encoder, decoder');
          else kinds = k as MosaicSpec['kinds'];
        }
      }
      let vocab: [number, number] | undefined;
      if (o.vocab !== undefined) {
        const vv = o.vocab;
        if (!Array.isArray(vv) || vv.length !== 2 || !vv.every((x) => Number.isInteger(x) && x >= 0 && x <= 1e6) || vv[0] > vv[1]) c.bad(`${a}.vocab`, 'must be [first, last], integers with first <= last');
        else vocab = [vv[0], vv[1]];
      }
      const seqLen = c.int(o, 'seqLen', a, 2, 4096) ?? 10;
      const subExtension = c.int(o, 'subExtension', a, 0, 4096) ?? 1;
      if (subExtension >= seqLen) c.bad(`${a}.subExtension`, `must be smaller than seqLen (${seqLen})`);
      return {
        type: 'mosaic',
        kinds,
        batch: c.int(o, 'batch', a, 2, 100000) ?? 100,
        seqLen,
        repeats: c.int(o, 'repeats', a, 2, 64) ?? 2,
        subExtension,
        vocab,
        threshold: c.num(o, 'threshold', a, 0, 1) ?? 0.3,
        onData: c.bool(o, 'onData', a) ?? false,
      };
    }
    case 'ablate': {
      c.keys(o, a, ['heads', 'top', 'method', 'controls', 'heldOut', 'samples', 'batch']);
      const heads = c.str(o, 'heads', a, 4096);
      const top = c.int(o, 'top', a, 1, 1024);
      if (o.heads === undefined && o.top === undefined) c.bad(a, 'needs heads (e.g. "L0.H1,L1.H2") or top (K heads of the reference mosaic)');
      else if (o.heads !== undefined && o.top !== undefined) c.bad(a, 'give heads or top, not both');
      const method = o.method ?? 'zero';
      if (method !== 'zero' && method !== 'mean') c.bad(`${a}.method`, `must be zero or mean, got ${describe(method)}`);
      return {
        type: 'ablate',
        heads,
        top,
        method: method as 'zero' | 'mean',
        controls: c.int(o, 'controls', a, 0, 1000) ?? 10,
        heldOut: c.int(o, 'heldOut', a, 1, 10000),
        samples: c.int(o, 'samples', a, 1, 1000),
        batch: c.int(o, 'batch', a, 1, 100000) ?? 100,
      };
    }
    case 'forecast': {
      c.keys(o, a, ['heldOut', 'samples', 'period']);
      return { type: 'forecast', heldOut: c.int(o, 'heldOut', a, 1, 10000), samples: c.int(o, 'samples', a, 1, 1000), period: c.int(o, 'period', a, 1, 100000) };
    }
    case 'attribute': {
      c.keys(o, a, ['step', 'target']);
      const target = o.target ?? 'expected';
      if (target !== 'logit' && target !== 'logprob' && target !== 'expected') c.bad(`${a}.target`, `must be logit, logprob or expected, got ${describe(target)}`);
      return { type: 'attribute', step: c.int(o, 'step', a, 0, 10000) ?? 0, target: target as AttributeSpec['target'] };
    }
    case 'patch':
      return c.bad(at, `"${type}" is not available in sweeps yet (available: ${ANALYSIS_TYPES.join(', ')})`);
    default:
      return c.bad(at, `unknown analysis "${type}" (expected ${ANALYSIS_TYPES.join(', ')})`);
  }
}

/** Parses and validates a spec's text. Throws SpecError with every problem found. */
export function parseSweepSpec(text: string, file = 'sweep spec'): SweepSpec {
  if (Buffer.byteLength(text, 'utf8') > LIMITS.specBytes) throw new SpecError(file, [`the file is larger than ${LIMITS.specBytes} bytes`]);
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'YAML';
    throw new SpecError(file, [`${where}: ${(e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`]);
  }
  const c = new Checker();
  if (!isObj(doc)) throw new SpecError(file, [`the spec must be a YAML map with models, data, analyses (got ${describe(doc)})`]);
  c.keys(doc, 'spec', ['name', 'models', 'data', 'analyses', 'seeds', 'runtime']);
  const name = c.str(doc, 'name', 'name', 200) ?? 'sweep';
  const models = (c.list(doc.models, 'models', LIMITS.models, true) ?? []).map((v, i) => parseModel(c, v, `models[${i}]`));
  const data = (c.list(doc.data, 'data', LIMITS.dataEntries, false) ?? ['reference']).map((v, i) => parseData(c, v, `data[${i}]`));
  const analyses = (c.list(doc.analyses, 'analyses', LIMITS.analyses, true) ?? []).map((v, i) => parseAnalysis(c, v, `analyses[${i}]`));
  let seeds: (number | null)[] = [null];
  const sl = c.list(doc.seeds, 'seeds', LIMITS.seeds, false);
  if (sl) {
    if (!sl.length) c.bad('seeds', 'must not be empty (leave it out for the default seeds)');
    sl.forEach((s, i) => {
      if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > LIMITS.seed) c.bad(`seeds[${i}]`, `must be an integer in [0, ${LIMITS.seed}], got ${describe(s)}`);
    });
    if (new Set(sl).size !== sl.length) c.bad('seeds', 'lists a seed twice');
    seeds = sl as number[];
  }
  const runtime: SweepSpec['runtime'] = {};
  if (doc.runtime !== undefined) {
    if (!isObj(doc.runtime)) c.bad('runtime', `must be a map {threads, provider}, got ${describe(doc.runtime)}`);
    else {
      c.keys(doc.runtime, 'runtime', ['threads', 'provider']);
      runtime.threads = c.int(doc.runtime, 'threads', 'runtime', 1, 1024);
      runtime.provider = c.str(doc.runtime, 'provider', 'runtime', 16);
    }
  }
  const seen = new Set<string>();
  models.forEach((m, i) => {
    if (!m) return;
    const k = JSON.stringify(m);
    if (seen.has(k)) c.bad(`models[${i}]`, 'is listed twice');
    seen.add(k);
  });
  const types = analyses.filter((a): a is AnalysisSpec => !!a);
  if (types.some((a) => a.type === 'forecast' || a.type === 'attribute' || (a.type === 'mosaic' && a.onData)) && !data.some((d) => d?.kind === 'csv')) {
    c.bad('data', 'forecast, attribute (and mosaic onData) need at least one CSV dataset');
  }
  if (c.problems.length) throw new SpecError(file, c.problems);
  return { name, models: models as ModelRef[], data: data as DataRef[], analyses: types, seeds, runtime };
}
