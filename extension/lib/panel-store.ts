/**
 * What brings the mosaic and ablation panels back after a window reload. VS Code hands the extension each
 * restored panel with the state its page saved (webview `setState`); that state comes from the page, so it
 * only names what to restore (a mosaic panel id, an ablation run id) and is checked here. The mosaic itself
 * comes from our own file, `<storage>/mosaic-panels/<id>.json`, written atomically whenever a mosaic panel
 * opens or changes; the ablation run from the run store. vscode-free.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ATTENTION_KINDS, type AttentionKind, type MosaicResult } from '../../analysis/types';
import { ChronosLensError } from '../../core/errors';
import { writeFileAtomic } from './files';
import { isRunId } from './run-store';

export const MOSAIC_PANEL_FORMAT = 'chronos-lens-mosaic-panel';
const PANEL_ID_RE = /^[0-9a-f]{16}$/;
/** Saved mosaic panels kept (the most recently saved); older files are removed. */
export const MOSAIC_PANELS_KEPT = 24;

export interface StoredMosaicPanel {
  format: typeof MOSAIC_PANEL_FORMAT;
  version: 1;
  id: string;
  savedAt: string;
  /** The controller's panel key (one panel per reference model, per CSV column). */
  key: string;
  variant: 'reference' | 'data';
  title: string;
  /** The CSV the mosaic was computed for, as a URI string. */
  csv?: { uri: string; column?: string };
  kind?: AttentionKind;
  result: MosaicResult;
}

export type MosaicPanelRecord = Omit<StoredMosaicPanel, 'format' | 'version' | 'id' | 'savedAt'>;

/** The id of a panel key's file: the same key (model, CSV, column) always maps to the same file. */
export function mosaicPanelId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function isMosaicPanelId(id: string): boolean {
  return PANEL_ID_RE.test(id);
}

export class MosaicPanelStore {
  readonly dir: string;

  constructor(storageDir: string, private readonly kept = MOSAIC_PANELS_KEPT) {
    this.dir = path.join(storageDir, 'mosaic-panels');
  }

  #file(id: string): string {
    if (!isMosaicPanelId(id)) throw new ChronosLensError('BAD_INPUT', `not a mosaic panel id: ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id}.json`);
  }

  /** Saves (or replaces) the panel's file; returns its id. Keeps the newest files only. */
  async save(rec: MosaicPanelRecord, now = new Date()): Promise<string> {
    const id = mosaicPanelId(rec.key);
    const doc: StoredMosaicPanel = { format: MOSAIC_PANEL_FORMAT, version: 1, id, savedAt: now.toISOString(), ...rec };
    await fsp.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.#file(id), JSON.stringify(doc) + '\n');
    await this.#prune();
    return id;
  }

  async load(id: string): Promise<StoredMosaicPanel> {
    const file = this.#file(id);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (e) {
      throw new ChronosLensError('NOT_FOUND', `the saved mosaic panel ${id} is no longer stored (${file})`, { cause: e });
    }
    return parseMosaicPanel(text, file);
  }

  async #prune(): Promise<void> {
    const names = (await fsp.readdir(this.dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && isMosaicPanelId(n.slice(0, -5)));
    if (names.length <= this.kept) return;
    const dated = await Promise.all(names.map(async (n) => ({ n, t: (await fsp.stat(path.join(this.dir, n)).catch(() => undefined))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1));
    for (const { n } of dated.slice(this.kept)) await fsp.rm(path.join(this.dir, n), { force: true });
  }
}

export function parseMosaicPanel(text: string, file: string): StoredMosaicPanel {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', `${file}: not valid JSON (${(e as Error).message})`);
  }
  const d = doc as Partial<StoredMosaicPanel> | null;
  if (!d || typeof d !== 'object' || d.format !== MOSAIC_PANEL_FORMAT || d.version !== 1) throw new ChronosLensError('BAD_INPUT', `${file}: not a ${MOSAIC_PANEL_FORMAT} v1 file`);
  if (typeof d.id !== 'string' || !isMosaicPanelId(d.id) || typeof d.key !== 'string' || typeof d.title !== 'string' || (d.variant !== 'reference' && d.variant !== 'data')) {
    throw new ChronosLensError('BAD_INPUT', `${file}: id, key, title or variant missing`);
  }
  if (d.kind !== undefined && !ATTENTION_KINDS.includes(d.kind)) throw new ChronosLensError('BAD_INPUT', `${file}: unknown attention kind ${JSON.stringify(d.kind)}`);
  if (d.csv !== undefined && (typeof d.csv !== 'object' || d.csv === null || typeof d.csv.uri !== 'string')) throw new ChronosLensError('BAD_INPUT', `${file}: csv.uri missing`);
  const r = d.result as MosaicResult | undefined;
  if (!r || typeof r !== 'object' || !Number.isInteger(r.layers) || !Number.isInteger(r.heads) || !r.model || !r.manifest || !r.protocol || !ATTENTION_KINDS.some((k) => r[k])) {
    throw new ChronosLensError('BAD_INPUT', `${file}: the stored mosaic is incomplete (layers, heads, model, manifest, protocol, scores)`);
  }
  return d as StoredMosaicPanel;
}

/** What a restored panel's saved page state asks for; undefined when it names nothing valid. */
export type RestoreTarget = { view: 'mosaic'; panelId: string; kind?: AttentionKind } | { view: 'ablation'; runId: string };

export function restoreTarget(view: 'mosaic' | 'ablation', state: unknown): RestoreTarget | undefined {
  const show = (state as { show?: unknown } | null | undefined)?.show as Record<string, unknown> | undefined;
  if (!show || typeof show !== 'object') return undefined;
  if (view === 'mosaic') {
    if (show.type !== 'showMosaic' || typeof show.panelId !== 'string' || !isMosaicPanelId(show.panelId)) return undefined;
    const kind = (state as { kind?: unknown }).kind;
    return { view, panelId: show.panelId, ...(ATTENTION_KINDS.includes(kind as AttentionKind) ? { kind: kind as AttentionKind } : {}) };
  }
  if (show.type !== 'showAblation' || typeof show.runId !== 'string' || !isRunId(show.runId)) return undefined;
  return { view, runId: show.runId };
}
