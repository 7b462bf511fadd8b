/**
 * The entries of Select Model…: the bundled model, Amazon's Chronos-T5 and Chronos-Bolt models (with
 * their size, "in cache" when a complete snapshot of `main` is there, else a download), every other
 * Chronos checkpoint in the Hugging Face cache (used in place, its family named), the current setting
 * when it is none of these, and "Checkpoint folder…". vscode-free: model-picker.ts turns the entries
 * into QuickPickItems.
 */
import { formatBytes } from '../../core/hub/dirsize';
import type { KnownModel } from '../../core/hub/known-models';
import { BUNDLED_MODEL_NOTE, isBundled } from '../../models/source';

/** What the picker needs of a cached snapshot (core/hub CachedCheckpoint has it). */
export interface CachedEntry {
  repoId: string;
  commit: string;
  /** Branches / tags pointing at this commit. */
  refs: string[];
  path: string;
  sizeBytes: number;
  family?: string;
}

export interface ModelPickEntry {
  kind: 'item' | 'separator';
  /** With a `$(codicon)` prefix. */
  label: string;
  description?: string;
  detail?: string;
  /** The `chronosLens.model` value this entry selects (undefined for actions and separators). */
  value?: string;
  /** 'download': fetch `repoId` into the hub cache first; 'folder': ask for a folder. */
  action?: 'download' | 'folder';
  repoId?: string;
  /** Approximate bytes a download takes. */
  downloadBytes?: number;
  current?: boolean;
}

export interface ModelPickInputs {
  /** The `chronosLens.model` setting now. */
  current: string;
  bundledName: string;
  bundledDir: string;
  /** Amazon's Chronos-T5 models (core/hub KNOWN_MODELS). */
  known: readonly KnownModel[];
  /** Amazon's Chronos-Bolt models (core/hub KNOWN_BOLT_MODELS), in a section of their own. */
  knownBolt: readonly KnownModel[];
  /** A cache scan (undefined while it runs: the known models are listed without their cache state). */
  cached?: readonly CachedEntry[];
  /** The hub cache folder scanned (HF_HUB_CACHE / HF_HOME/hub / ~/.cache/huggingface/hub). */
  cacheDir: string;
  /** HF_HUB_OFFLINE: models that are not cached cannot be downloaded. */
  offline?: boolean;
}

/** `amazon/chronos-t5-small`, `amazon/chronos-t5-small@main` and the snapshot folder name the same model. */
function sameModel(setting: string, repoId: string, snapshotPath?: string): boolean {
  const s = setting.trim();
  if (snapshotPath && s === snapshotPath) return true;
  return s === repoId || s === `${repoId}@main`;
}

function refsText(c: CachedEntry): string {
  return c.refs.length ? c.refs.join(', ') : c.commit.slice(0, 10);
}

/** How a cached checkpoint's family reads in its entry (the T5 family is the default and goes unsaid). */
const FAMILY_NAMES: Record<string, string> = { 'chronos-bolt': 'Chronos-Bolt' };

export function buildModelPickEntries(i: ModelPickInputs): ModelPickEntry[] {
  const out: ModelPickEntry[] = [];
  const cur = i.current.trim();
  const mark = (on: boolean) => (on ? ' · current' : '');
  let currentListed = isBundled(cur);
  out.push({
    kind: 'item',
    label: `$(package) ${i.bundledName}`,
    description: `bundled · toy model${mark(isBundled(cur))}`,
    // the caveat where the choice is made, with Amazon's models listed right below
    detail: `${BUNDLED_MODEL_NOTE}: pick one of Amazon's below · ${i.bundledDir}`,
    value: 'bundled',
    current: isBundled(cur),
  });

  const complete = i.cached ?? [];
  const mainOf = (repoId: string) => complete.find((c) => c.repoId === repoId && c.refs.includes('main'));
  const usedSnapshots = new Set<string>();

  const section = (title: string, known: readonly KnownModel[]) => {
    out.push({ kind: 'separator', label: title });
    for (const k of known) {
      const hit = mainOf(k.repoId);
      const isCurrent = sameModel(cur, k.repoId, hit?.path);
      if (isCurrent) currentListed = true;
      if (hit) {
        usedSnapshots.add(hit.path);
        out.push({
          kind: 'item',
          label: `$(database) ${k.repoId}`,
          description: `${k.label} · ${k.parametersLabel} parameters · in cache · ${formatBytes(hit.sizeBytes)}${mark(isCurrent)}`,
          detail: hit.path,
          value: k.repoId,
          current: isCurrent,
        });
      } else {
        const state = i.cached === undefined ? 'checking the cache…' : i.offline ? 'not in cache (offline: HF_HUB_OFFLINE)' : `download ~${formatBytes(k.approxDownloadBytes)}`;
        out.push({
          kind: 'item',
          label: `$(cloud-download) ${k.repoId}`,
          description: `${k.label} · ${k.parametersLabel} parameters · ${state}${mark(isCurrent)}`,
          detail: `Downloads into the Hugging Face cache (${i.cacheDir}), shared with Python tools.`,
          action: 'download',
          repoId: k.repoId,
          downloadBytes: k.approxDownloadBytes,
          current: isCurrent,
        });
      }
    }
  };
  section('Chronos-T5 (Amazon, Hugging Face hub)', i.known);
  section('Chronos-Bolt (Amazon, Hugging Face hub)', i.knownBolt);

  const others = complete.filter((c) => !usedSnapshots.has(c.path));
  if (others.length) out.push({ kind: 'separator', label: `Hugging Face cache · ${i.cacheDir}` });
  for (const c of others) {
    // A snapshot `main` points at is selected by its repo id (it follows the cache); any other by its folder.
    const value = c.refs.includes('main') ? c.repoId : c.path;
    const isCurrent = cur === c.path || (value === c.repoId && sameModel(cur, c.repoId));
    if (isCurrent) currentListed = true;
    out.push({
      kind: 'item',
      label: `$(database) ${c.repoId}`,
      description: `${c.family && FAMILY_NAMES[c.family] ? `${FAMILY_NAMES[c.family]} · ` : ''}${refsText(c)} · ${formatBytes(c.sizeBytes)}${mark(isCurrent)}`,
      detail: c.path,
      value,
      current: isCurrent,
    });
  }

  out.push({ kind: 'separator', label: '' });
  if (!currentListed) out.push({ kind: 'item', label: `$(check) ${cur}`, description: 'current setting', value: cur, current: true });
  out.push({ kind: 'item', label: '$(folder-opened) Checkpoint folder…', description: 'a folder with config.json and model.safetensors', action: 'folder' });
  return out;
}
