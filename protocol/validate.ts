/**
 * Run-time validation of everything a webview posts, used on the host side before acting on it.
 * Hand-written and strict: unknown `type`s, missing or extra fields, wrong types, out-of-range
 * heads / positions and malformed export payloads are rejected with a message that names the field
 * and says what was expected, e.g.
 *   "showHeadOnSeries.head.layer: expected an integer in 0..5, got 7".
 * Never throws (except parseWebviewMessage, which throws ProtocolError).
 */
import { ATTENTION_KINDS as KINDS, type AttentionKind, type ModelSummary, type MosaicResult } from '../analysis/types';
import type { AblationWebviewMessage, AblationWebviewMessages } from './ablation';
import type { AtlasWebviewMessage, AtlasWebviewMessages } from './atlas';
import type { CausalWebviewMessage, CausalWebviewMessages } from './causal';
import { EXPORT_FORMATS, MAX_EXPORT_CHARS, PROTOCOL_VERSION, VIEW_IDS, type CommonWebviewMessages, type ExportFormat, type MessageOf, type Request, type ViewId } from './common';
import type { RequestMessage, WebviewMessage } from './index';
import type { MosaicCellAction, MosaicWebviewMessage, MosaicWebviewMessages } from './mosaic';
import type { SeriesPayload, SeriesWebviewMessage, SeriesWebviewMessages } from './series';

export interface LayerHeadShape {
  layers: number;
  heads: number;
}

/**
 * What the host knows about the view's current data; where given, references outside it are
 * rejected (a head the mosaic does not have, a column that is not offered, a position past the
 * context window).
 */
export interface ValidationContext {
  /** Shape per attention kind of the mosaic shown. */
  kinds?: Partial<Record<AttentionKind, LayerHeadShape>>;
  /** Series view. */
  series?: {
    columns?: readonly string[];
    /** Context positions (values, or Chronos-Bolt's patches) are 0..contextLength-1. */
    contextLength?: number;
    /** Forecast steps are 0..predictionLength-1. */
    predictionLength?: number;
    /** Encoder and decoder layers and heads of the model (selection and lens layer checks). */
    encoderLayers?: number;
    decoderLayers?: number;
    heads?: number;
    totalRows?: number;
  };
  /** Ablation view: run ids that may be reopened. */
  runIds?: readonly string[];
  /** Atlas view: the tasks whose manifests may be opened. */
  taskIds?: ReadonlySet<string>;
  /** Override MAX_EXPORT_CHARS. */
  maxExportChars?: number;
}

export type ValidationResult<M> = { ok: true; message: M } | { ok: false; error: string };

export type WebviewMessageOf<V extends ViewId> = V extends 'mosaic'
  ? MosaicWebviewMessage
  : V extends 'ablation'
    ? AblationWebviewMessage
    : V extends 'atlas'
      ? AtlasWebviewMessage
      : V extends 'causal'
        ? CausalWebviewMessage
        : SeriesWebviewMessage;

/** Thrown by parseWebviewMessage. */
export class ProtocolError extends Error {
  constructor(
    message: string,
    /** The offending message's requestId, when it had a string one (answer it with an error response). */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Context for a mosaic panel from the result it shows. */
export function mosaicValidationContext(result: Pick<MosaicResult, 'cross' | 'encoder' | 'decoder'>): ValidationContext {
  const kinds: Partial<Record<AttentionKind, LayerHeadShape>> = {};
  for (const k of KINDS) {
    const m = result[k];
    if (m) kinds[k] = { layers: m.layers, heads: m.heads };
  }
  return { kinds };
}

/**
 * Context for a series view from what it was initialised with. Without a model (not loaded yet) the
 * view has no attention to ask for: lens requests are rejected (nothing to index).
 */
export function seriesValidationContext(series: SeriesPayload, model: ModelSummary | undefined): ValidationContext {
  return {
    series: {
      columns: series.columns,
      contextLength: model ? (series.context.patches?.count ?? series.context.end - series.context.start) : 0,
      predictionLength: model ? model.predictionLength : 0,
      encoderLayers: model ? model.encoderLayers : 0,
      // Chronos-2 has no decoder: a forecast step reads its output-patch token's time attention, in the encoder's layers
      decoderLayers: model ? (model.family === 'chronos-2' ? model.encoderLayers : model.decoderLayers) : 0,
      heads: model ? model.heads : 0,
      totalRows: series.totalRows,
    },
  };
}

/** Most points a range request may ask for. */
export const MAX_RANGE_POINTS = 20_000;
/** Most sparkline bins a lens request may ask for. */
export const MAX_SPARK_BINS = 512;

// ---------------------------------------------------------------------------------------------
// checker primitives: each returns the checked value or throws Invalid with a path-qualified text

class Invalid extends Error {}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array (length ${v.length})`;
  if (typeof v === 'string') return v.length > 40 ? `a string of length ${v.length}` : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : String(v);
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function fail(path: string, expected: string, got: unknown): never {
  throw new Invalid(`${path}: expected ${expected}, got ${describe(got)}`);
}

function record(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw new Invalid(`${path}: unexpected field "${key}" (allowed: ${allowed.join(', ')})`);
  }
  return o;
}

function string(v: unknown, path: string, opts: { max?: number; nonEmpty?: boolean } = {}): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  if (opts.nonEmpty && v.length === 0) fail(path, 'a non-empty string', v);
  const max = opts.max ?? 10_000;
  if (v.length > max) fail(path, `a string of at most ${max} characters`, v);
  return v;
}

function int(v: unknown, path: string, min: number, maxExclusive?: number): number {
  const range = maxExclusive === undefined ? `>= ${min}` : `in ${min}..${maxExclusive - 1}`;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, `an integer ${range}`, v);
  if (v < min || (maxExclusive !== undefined && v >= maxExclusive)) {
    if (maxExclusive !== undefined && maxExclusive <= min) fail(path, `an integer, but there is nothing to index (size ${maxExclusive})`, v);
    fail(path, `an integer ${range}`, v);
  }
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'true or false', v);
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    fail(path, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
  }
  return v as T;
}

function requestId(v: unknown, path: string): string {
  const id = string(v, path, { max: 200, nonEmpty: true });
  return id;
}

function head(v: unknown, path: string, ctx: ValidationContext): { kind: AttentionKind; layer: number; head: number } {
  const o = record(v, path, ['kind', 'layer', 'head']);
  const kind = oneOf(o.kind, `${path}.kind`, KINDS);
  const shape = ctx.kinds ? ctx.kinds[kind] : undefined;
  if (ctx.kinds && !shape) {
    const have = KINDS.filter((k) => ctx.kinds?.[k]);
    throw new Invalid(`${path}.kind: the mosaic shown has no "${kind}" attention (it has ${have.map((k) => `"${k}"`).join(', ') || 'none'})`);
  }
  const layer = int(o.layer, `${path}.layer`, 0, shape?.layers);
  const h = int(o.head, `${path}.head`, 0, shape?.heads);
  return { kind, layer, head: h };
}

const PNG_BASE64_SIGNATURE = 'iVBORw0KGgo'; // base64 of the 8-byte PNG signature's first bytes
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function exportMessage(o: Record<string, unknown>, ctx: ValidationContext) {
  const t = 'export';
  record(o, t, ['type', 'requestId', 'format', 'suggestedName', 'content']);
  const id = requestId(o.requestId, `${t}.requestId`);
  const format = oneOf(o.format, `${t}.format`, EXPORT_FORMATS);
  const name = string(o.suggestedName, `${t}.suggestedName`, { max: 200, nonEmpty: true });
  if (/[\\/\u0000-\u001f]/.test(name) || name === '.' || name === '..') {
    fail(`${t}.suggestedName`, 'a plain file name (no folder separators or control characters)', name);
  }
  if (!name.toLowerCase().endsWith(`.${format}`)) fail(`${t}.suggestedName`, `a name ending in ".${format}"`, name);
  const c = record(o.content, `${t}.content`, ['encoding', 'data']);
  const encoding = oneOf(c.encoding, `${t}.content.encoding`, ['utf8', 'base64'] as const);
  const max = ctx.maxExportChars ?? MAX_EXPORT_CHARS;
  const data = string(c.data, `${t}.content.data`, { max, nonEmpty: true });
  checkExportPayload(format, encoding, data, `${t}.content`);
  return { type: 'export' as const, requestId: id, format, suggestedName: name, content: { encoding, data } };
}

function checkExportPayload(format: ExportFormat, encoding: 'utf8' | 'base64', data: string, path: string): void {
  const wantEncoding = format === 'png' ? 'base64' : 'utf8';
  if (encoding !== wantEncoding) fail(`${path}.encoding`, `"${wantEncoding}" for ${format}`, encoding);
  switch (format) {
    case 'png':
      if (data.length % 4 !== 0 || !BASE64.test(data)) fail(`${path}.data`, 'base64 (without a "data:" prefix)', data);
      if (!data.startsWith(PNG_BASE64_SIGNATURE)) fail(`${path}.data`, 'a PNG image (base64 of a file starting with the PNG signature)', data);
      break;
    case 'svg': {
      const head = data.slice(0, 512).replace(/^\uFEFF/, '').trimStart();
      if (!(head.startsWith('<svg') || head.startsWith('<?xml')) || !data.trimEnd().endsWith('</svg>')) {
        fail(`${path}.data`, 'an SVG document (<svg …>…</svg>)', data);
      }
      break;
    }
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch (e) {
        throw new Invalid(`${path}.data: expected JSON text, but it does not parse (${(e as Error).message})`);
      }
      if (typeof parsed !== 'object' || parsed === null) fail(`${path}.data`, 'a JSON object or array', parsed);
      break;
    }
    case 'csv':
      if (!data.includes(',') && !data.includes('\n')) fail(`${path}.data`, 'CSV text with a header line', data);
      break;
  }
}

/**
 * How the host checks one message of a table (see MessageTable in common.ts): `request` must say
 * whether the table declares it a Request, and `check` returns a fresh message with only the checked
 * fields, or throws Invalid.
 */
type Checkers<T> = {
  [K in keyof T]-?: {
    request: T[K] extends Request<{ type: string; requestId: string }, unknown> ? true : false;
    check(o: Record<string, unknown>, ctx: ValidationContext, view: ViewId): MessageOf<T[K]>;
  };
};

const COMMON: Checkers<CommonWebviewMessages> = {
  ready: {
    request: false,
    check: (o, _ctx, view) => {
      record(o, 'ready', ['type', 'view', 'protocolVersion']);
      const v = oneOf(o.view, 'ready.view', VIEW_IDS);
      if (v !== view) throw new Invalid(`ready.view: this panel hosts the ${view} view, but the page says it is the ${v} view`);
      const pv = int(o.protocolVersion, 'ready.protocolVersion', 1);
      if (pv !== PROTOCOL_VERSION) {
        throw new Invalid(`ready.protocolVersion: the extension speaks protocol ${PROTOCOL_VERSION}, the page speaks ${pv} (reload the view)`);
      }
      return { type: 'ready', view: v, protocolVersion: pv };
    },
  },
  export: { request: true, check: (o, ctx) => exportMessage(o, ctx) },
  cancel: {
    request: false,
    check: (o) => {
      record(o, 'cancel', ['type', 'requestId']);
      return { type: 'cancel', requestId: requestId(o.requestId, 'cancel.requestId') };
    },
  },
  webviewError: {
    request: false,
    check: (o) => {
      record(o, 'webviewError', ['type', 'message', 'stack']);
      const m: { type: 'webviewError'; message: string; stack?: string } = { type: 'webviewError', message: string(o.message, 'webviewError.message', { max: 20_000 }) };
      if (o.stack !== undefined) m.stack = string(o.stack, 'webviewError.stack', { max: 100_000 });
      return m;
    },
  },
};

function headAction<T extends MosaicCellAction>(type: T) {
  return {
    request: false as const,
    check: (o: Record<string, unknown>, ctx: ValidationContext) => {
      record(o, type, ['type', 'head']);
      return { type, head: head(o.head, `${type}.head`, ctx) };
    },
  };
}

const MOSAIC: Checkers<MosaicWebviewMessages> = {
  showHeadOnSeries: headAction('showHeadOnSeries'),
  ablateHead: headAction('ablateHead'),
  addToAblationSet: headAction('addToAblationSet'),
  patchHead: headAction('patchHead'),
  kindChanged: {
    request: false,
    check: (o, ctx) => {
      record(o, 'kindChanged', ['type', 'kind']);
      const kind = oneOf(o.kind, 'kindChanged.kind', KINDS);
      if (ctx.kinds && !ctx.kinds[kind]) throw new Invalid(`kindChanged.kind: the mosaic shown has no "${kind}" attention`);
      return { type: 'kindChanged', kind };
    },
  },
};

const ABLATION: Checkers<AblationWebviewMessages> = {
  openRun: {
    request: false,
    check: (o, ctx) => {
      record(o, 'openRun', ['type', 'runId']);
      const runId = string(o.runId, 'openRun.runId', { max: 500, nonEmpty: true });
      if (ctx.runIds && !ctx.runIds.includes(runId)) throw new Invalid(`openRun.runId: no stored run has id ${JSON.stringify(runId)}`);
      return { type: 'openRun', runId };
    },
  },
};

const ATLAS: Checkers<AtlasWebviewMessages> = {
  openManifest: {
    request: false,
    check: (o, ctx) => {
      record(o, 'openManifest', ['type', 'task']);
      const task = string(o.task, 'openManifest.task', { max: 200, nonEmpty: true });
      if (ctx.taskIds && !ctx.taskIds.has(task)) throw new Invalid(`openManifest.task: the atlas shown has no task ${JSON.stringify(task)}`);
      return { type: 'openManifest', task };
    },
  },
};

const CAUSAL: Checkers<CausalWebviewMessages> = {};

const SERIES: Checkers<SeriesWebviewMessages> = {
  requestLens: {
    request: true,
    check: (o, ctx) => {
      const s = ctx.series ?? {};
      record(o, 'requestLens', ['type', 'requestId', 'kind', 'position', 'layer', 'sparkBins', 'group', 'groupLines']);
      const id = requestId(o.requestId, 'requestLens.requestId');
      const kind = oneOf(o.kind, 'requestLens.kind', ['encoder', 'cross'] as const);
      const limit = kind === 'encoder' ? s.contextLength : s.predictionLength;
      const position = int(o.position, 'requestLens.position', 0, limit);
      const m: MessageOf<SeriesWebviewMessages['requestLens']> = { type: 'requestLens', requestId: id, kind, position };
      if (o.layer !== undefined) m.layer = int(o.layer, 'requestLens.layer', 0, kind === 'encoder' ? s.encoderLayers : s.decoderLayers);
      if (o.sparkBins !== undefined) m.sparkBins = int(o.sparkBins, 'requestLens.sparkBins', 1, MAX_SPARK_BINS + 1);
      if (o.group !== undefined) m.group = bool(o.group, 'requestLens.group');
      if (o.groupLines !== undefined) m.groupLines = bool(o.groupLines, 'requestLens.groupLines');
      return m;
    },
  },
  requestRange: {
    request: true,
    check: (o, ctx) => {
      record(o, 'requestRange', ['type', 'requestId', 'start', 'end', 'points']);
      const id = requestId(o.requestId, 'requestRange.requestId');
      const total = ctx.series?.totalRows;
      const start = int(o.start, 'requestRange.start', 0, total);
      const end = int(o.end, 'requestRange.end', start + 1, total === undefined ? undefined : total + 1);
      const points = int(o.points, 'requestRange.points', 3, MAX_RANGE_POINTS + 1);
      return { type: 'requestRange', requestId: id, start, end, points };
    },
  },
  selectHead: {
    request: false,
    check: (o, ctx) => {
      const s = ctx.series ?? {};
      record(o, 'selectHead', ['type', 'selection']);
      const sel = record(o.selection, 'selectHead.selection', ['mode', 'layer', 'head']);
      const mode = oneOf(sel.mode, 'selectHead.selection.mode', ['head', 'max', 'mean'] as const);
      const layers = s.encoderLayers === undefined && s.decoderLayers === undefined ? undefined : Math.max(s.encoderLayers ?? 0, s.decoderLayers ?? 0);
      const layer = int(sel.layer, 'selectHead.selection.layer', 0, layers);
      if (mode === 'head') return { type: 'selectHead', selection: { mode, layer, head: int(sel.head, 'selectHead.selection.head', 0, s.heads) } };
      if (sel.head !== undefined) throw new Invalid(`selectHead.selection.head: only allowed with mode "head" (mode is "${mode}")`);
      return { type: 'selectHead', selection: { mode, layer } };
    },
  },
  selectColumn: {
    request: false,
    check: (o, ctx) => {
      const s = ctx.series ?? {};
      record(o, 'selectColumn', ['type', 'column']);
      const column = string(o.column, 'selectColumn.column', { max: 1000, nonEmpty: true });
      if (s.columns && !s.columns.includes(column)) {
        throw new Invalid(`selectColumn.column: ${JSON.stringify(column)} is not one of the numeric columns (${s.columns.map((c) => JSON.stringify(c)).join(', ')})`);
      }
      return { type: 'selectColumn', column };
    },
  },
  revealRow: {
    request: false,
    check: (o, ctx) => {
      record(o, 'revealRow', ['type', 'row']);
      return { type: 'revealRow', row: int(o.row, 'revealRow.row', 0, ctx.series?.totalRows) };
    },
  },
  chooseTask: {
    request: false,
    check: (o) => {
      record(o, 'chooseTask', ['type']);
      return { type: 'chooseTask' };
    },
  },
  attributeStep: {
    request: false,
    check: (o, ctx) => {
      record(o, 'attributeStep', ['type', 'step']);
      return { type: 'attributeStep', step: int(o.step, 'attributeStep.step', 0, ctx.series?.predictionLength) };
    },
  },
  selectModel: {
    request: false,
    check: (o) => {
      record(o, 'selectModel', ['type']);
      return { type: 'selectModel' };
    },
  },
};

type AnyChecker = { request: boolean; check(o: Record<string, unknown>, ctx: ValidationContext, view: ViewId): unknown };
/** Each view's messages: its own table, then the common one (the order error messages list them in). */
const CHECKERS_BY_VIEW: Record<ViewId, Readonly<Record<string, AnyChecker>>> = {
  mosaic: { ...MOSAIC, ...COMMON },
  ablation: { ...ABLATION, ...COMMON },
  series: { ...SERIES, ...COMMON },
  atlas: { ...ATLAS, ...COMMON },
  causal: { ...CAUSAL, ...COMMON },
};
const REQUEST_TYPES: ReadonlySet<string> = new Set(VIEW_IDS.flatMap((v) => Object.entries(CHECKERS_BY_VIEW[v]).filter(([, c]) => c.request).map(([t]) => t)));

/** Whether a (validated) message expects a `response`, as the message tables declare. */
export function isRequestMessage(m: WebviewMessage): m is RequestMessage {
  return REQUEST_TYPES.has(m.type);
}

/**
 * Validates a message posted by a webview of the given view. On success the returned message is a
 * fresh object holding only the checked fields.
 */
export function validateWebviewMessage<V extends ViewId>(view: V, value: unknown, ctx: ValidationContext = {}): ValidationResult<WebviewMessageOf<V>> {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('message', 'an object with a "type"', value);
    const o = value as Record<string, unknown>;
    if (typeof o.type !== 'string') fail('message.type', 'a string', o.type);
    const type = o.type;
    const checkers = CHECKERS_BY_VIEW[view];
    if (!Object.hasOwn(checkers, type)) {
      const elsewhere = VIEW_IDS.filter((v) => v !== view && Object.hasOwn(CHECKERS_BY_VIEW[v], type));
      if (elsewhere.length) throw new Invalid(`message.type: "${type}" belongs to the ${elsewhere.join('/')} view, not the ${view} view`);
      fail('message.type', `one of ${Object.keys(checkers).map((x) => `"${x}"`).join(', ')}`, type);
    }
    const checked = checkers[type].check(o, ctx, view);
    return { ok: true, message: checked as WebviewMessageOf<V> };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: `Invalid message from the ${view} view: ${e.message}` };
    throw e;
  }
}

/** The message's `requestId`, when it has a string one (to answer an invalid request with an error response). */
export function requestIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as Record<string, unknown>).requestId;
  return typeof id === 'string' && id.length > 0 && id.length <= 200 ? id : undefined;
}

/** Like validateWebviewMessage, but throws ProtocolError (with the requestId to answer, if any). */
export function parseWebviewMessage<V extends ViewId>(view: V, value: unknown, ctx?: ValidationContext): WebviewMessageOf<V> {
  const r = validateWebviewMessage(view, value, ctx);
  if (!r.ok) throw new ProtocolError(r.error, requestIdOf(value));
  return r.message;
}
