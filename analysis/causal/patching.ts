/**
 * Activation patching for Chronos-T5: a clean and a corrupted input of the same shape (encoder length,
 * decoder inputs and scored labels shared), the metric M = mean log-probability of the labels over the
 * scored decoder positions (the log-softmax over the whole vocabulary), and for each component one run
 * of the corrupted input with that component's activation taken from the clean run:
 *   restored = (M_patched - M_corrupted) / (M_clean - M_corrupted)
 * (1: the component alone restores the clean behaviour; 0: it does nothing). Components:
 *   heads      every (kind, layer, head), at every position (encoder heads over encoder positions,
 *              decoder self / cross heads over decoder positions): the head's output before the output
 *              projection;
 *   headPos    every (kind, layer, head, position), for the kinds asked;
 *   resid      every (stack, boundary, position): the residual stream entering layer i (i = L: leaving
 *              the last layer, before the final norm); boundary i+1 over all positions is "layer i's
 *              output".
 * Patched runs are batched: each row of a run patches its own component (masks per row, the clean
 * activations shared by every row), in chunks sized to the time and memory they take.
 */
import { ChronosLensError } from '../../core/errors';
import { RunControl, throwIfAborted } from '../../core/progress';
import { FloatTensor } from '../../core/tensor';
import { ChronosModel } from '../../models/model';
import { ensureFits, forwardRowNeed, maxRowsFor } from '../../core/limits';
import { PatchSite } from '../../models/t5/causal-graph';
import { forEachChunk, makeManifest, modelSummary } from '../common';
import { AttentionKind, HeadRef, PatchMapKind, PatchRaw, PatchingResult } from '../types';
// The result types live with the other result types (the webviews read them); re-exported for this module's users.
export type { PatchMapKind, PatchRaw, PatchingResult } from '../types';
import { TokenRows, logSoftmax, rowsOf, runCausal } from './run';

export interface PatchPair {
  clean: { ids: ArrayLike<number>; mask?: ArrayLike<number> };
  corrupted: { ids: ArrayLike<number>; mask?: ArrayLike<number> };
  /** Decoder inputs (start token first) and the labels scored at each decoder position. */
  decoder: ArrayLike<number>;
  labels: ArrayLike<number>;
}

export interface PatchRequest extends RunControl {
  maps?: PatchMapKind[];
  /** Head kinds of the heads and headPos maps (default all three). */
  kinds?: AttentionKind[];
  /** Stacks of the resid map (default both). */
  stacks?: ('encoder' | 'decoder')[];
  /** Head sets patched together (every position), one run each: e.g. the top induction heads. */
  headSets?: HeadRef[][];
  /** Refuse runs above this many patched rows in all (default 1e6). */
  maxRows?: number;
  /** How many pairs of this shape the caller runs (for the compute estimate; default 1). */
  pairsTotal?: number;
}

export interface PatchMetrics {
  clean: number;
  corrupted: number;
}

interface Patch {
  site: PatchSite;
  layer: number;
  head: number;
  /** -1: every position. */
  pos: number;
}

interface Row {
  patches: Patch[];
  put: (v: number) => void;
}

const nested = (a: number, b: number) => Array.from({ length: a }, () => new Array<number>(b).fill(NaN));

function meanLogProb(logits: Float32Array, row: number, T: number, V: number, labels: ArrayLike<number>): number {
  let acc = 0;
  for (let s = 0; s < T; s++) {
    const { logp } = logSoftmax(logits, (row * T + s) * V, V);
    acc += logp[labels[s]];
  }
  return acc / T;
}

/** Runs every patch of one clean / corrupted pair; returns the metric of the clean, corrupted and patched runs. */
export async function patchPair(model: ChronosModel, pair: PatchPair, req: PatchRequest = {}): Promise<{ metrics: PatchMetrics; raw: PatchRaw }> {
  const t = model.config.t5;
  const V = t.vocabSize;
  const H = t.numHeads;
  const K = t.dKv;
  const D = t.dModel;
  const Le = t.numLayers;
  const Ld = t.numDecoderLayers;
  const maps = new Set(req.maps ?? ['heads', 'resid']);
  const kinds = req.kinds ?? ['encoder', 'decoder', 'cross'];
  const stacks = req.stacks ?? ['encoder', 'decoder'];
  const Te = pair.clean.ids.length;
  const Td = pair.decoder.length;
  if (pair.corrupted.ids.length !== Te) throw new ChronosLensError('BAD_INPUT', `the clean and corrupted inputs must have the same length (${Te} vs ${pair.corrupted.ids.length} tokens)`);
  if (pair.labels.length !== Td) throw new ChronosLensError('BAD_INPUT', `${pair.labels.length} labels for ${Td} decoder positions`);
  const ones = (n: number) => new Int32Array(n).fill(1);
  const enc = (x: PatchPair['clean']): { encoder: TokenRows; mask: TokenRows } => ({ encoder: rowsOf([x.ids]), mask: rowsOf([x.mask ?? ones(Te)]) });
  const decoder = rowsOf([pair.decoder]);
  const lenOf = (k: AttentionKind) => (k === 'encoder' ? Te : Td);
  const layersOf = (k: AttentionKind | 'encoder_resid' | 'decoder_resid') => (k === 'encoder' ? Le : k === 'encoder_resid' ? Le + 1 : k === 'decoder_resid' ? Ld + 1 : Ld);

  // Plan the rows (and refuse what cannot be run) before anything is computed.
  const raw: PatchRaw = {};
  const rows: Row[] = [];
  if (maps.has('heads')) {
    raw.heads = {};
    for (const k of kinds) {
      const m = nested(layersOf(k), H);
      raw.heads[k] = m;
      for (let l = 0; l < layersOf(k); l++) for (let h = 0; h < H; h++) rows.push({ patches: [{ site: k, layer: l, head: h, pos: -1 }], put: (v) => (m[l][h] = v) });
    }
  }
  if (maps.has('headPos')) {
    raw.headPos = {};
    for (const k of kinds) {
      const m = Array.from({ length: layersOf(k) }, () => nested(H, lenOf(k)));
      raw.headPos[k] = m;
      for (let l = 0; l < layersOf(k); l++) for (let h = 0; h < H; h++) for (let p = 0; p < lenOf(k); p++) rows.push({ patches: [{ site: k, layer: l, head: h, pos: p }], put: (v) => (m[l][h][p] = v) });
    }
  }
  if (maps.has('resid')) {
    raw.resid = {};
    for (const s of stacks) {
      const site = `${s}_resid` as const;
      const n = layersOf(site);
      const T = s === 'encoder' ? Te : Td;
      const m = nested(n, T);
      raw.resid[s] = m;
      for (let i = 0; i < n; i++) for (let p = 0; p < T; p++) rows.push({ patches: [{ site, layer: i, head: 0, pos: p }], put: (v) => (m[i][p] = v) });
    }
  }
  if (req.headSets?.length) {
    const sets = new Array<number>(req.headSets.length).fill(NaN);
    raw.sets = sets;
    req.headSets.forEach((set, i) => {
      if (!set.length) throw new ChronosLensError('BAD_INPUT', `head set ${i + 1} is empty`);
      for (const h of set) {
        if (!Number.isInteger(h.layer) || h.layer < 0 || h.layer >= layersOf(h.kind) || !Number.isInteger(h.head) || h.head < 0 || h.head >= H) throw new ChronosLensError('BAD_INPUT', `head set ${i + 1}: ${h.kind}:L${h.layer}.H${h.head} does not exist`);
      }
      rows.push({ patches: set.map((h) => ({ site: h.kind, layer: h.layer, head: h.head, pos: -1 })), put: (v) => (sets[i] = v) });
    });
  }
  const maxRows = req.maxRows ?? 1_000_000;
  if (rows.length > maxRows) throw new ChronosLensError('BAD_INPUT', `patching would run ${rows.length} patched inputs (more than ${maxRows}); ask for fewer maps, kinds or stacks, or a shorter input`);

  const sites = [...new Set(rows.flatMap((r) => r.patches.map((p) => p.site)))];
  const headKinds = (['encoder', 'decoder', 'cross'] as const).filter((k) => sites.includes(k));
  // Sizes, before anything is allocated: the clean activations every patched row shares, one row of
  // the model, and the work of every patched run of every pair.
  const srcBytes = 4 * (headKinds.reduce((a, k) => a + layersOf(k) * H * lenOf(k) * K, 0) + (sites.includes('encoder_resid') ? (Le + 1) * Te * D : 0) + (sites.includes('decoder_resid') ? (Ld + 1) * Td * D : 0));
  const rowNeed = forwardRowNeed(t, { encLen: Te, decLen: Td, logits: true });
  ensureFits(`patching ${rows.length} patched input${rows.length === 1 ? '' : 's'}${(req.pairsTotal ?? 1) > 1 ? ` x ${req.pairsTotal} pairs` : ''}`, { bytes: 3 * srcBytes + rowNeed.bytes, heapBytes: rows.length * 256, flops: (rows.length + 2) * rowNeed.flops * (req.pairsTotal ?? 1) }, ['pairs', 'maps', 'kinds']);
  const chunkRows = maxRowsFor(rowNeed.bytes, 3 * srcBytes);
  const clean = await runCausal(model, { ...enc(pair.clean), decoder }, { logits: true, headOutputs: headKinds, encoderResidual: sites.includes('encoder_resid'), decoderResidual: sites.includes('decoder_resid') });
  const corrupted = await runCausal(model, { ...enc(pair.corrupted), decoder }, { logits: true, encoderHidden: true });
  const metrics = { clean: meanLogProb(clean.logits.data, 0, Td, V, pair.labels), corrupted: meanLogProb(corrupted.logits.data, 0, Td, V, pair.labels) };
  throwIfAborted(req.signal);

  // Clean activations as the patch sources: heads [1, L, H, T, K], residuals [1, L + 1, T, D].
  const src: Record<string, FloatTensor> = {};
  for (const k of headKinds) {
    const T = lenOf(k);
    const n = layersOf(k);
    const data = new Float32Array(n * H * T * K);
    for (let l = 0; l < n; l++) data.set(clean[`${k}_head.${l}`].data, l * H * T * K);
    src[`${k}_patch_src`] = { data, dims: [1, n, H, T, K] };
  }
  if (sites.includes('encoder_resid')) {
    const data = new Float32Array((Le + 1) * Te * D);
    for (let i = 0; i <= Le; i++) data.set(clean[`enc_resid.${i}`].data, i * Te * D);
    src.encoder_resid_src = { data, dims: [1, Le + 1, Te, D] };
  }
  if (sites.includes('decoder_resid')) {
    const data = new Float32Array((Ld + 1) * Td * D);
    for (let i = 0; i <= Ld; i++) data.set(clean[`dec_resid.${3 * i}`].data, i * Td * D);
    src.decoder_resid_src = { data, dims: [1, Ld + 1, Td, D] };
  }

  const corr = enc(pair.corrupted);
  // Rows that patch only the decoder (decoder / cross heads, decoder residual) share the corrupted
  // run's encoder output instead of recomputing the encoder; the rest run the whole model.
  const touchesEncoder = (r: Row) => r.patches.some((p) => p.site === 'encoder' || p.site === 'encoder_resid');
  const full = rows.filter(touchesEncoder);
  const decoderOnly = rows.filter((r) => !touchesEncoder(r));
  const encHidden: FloatTensor = corrupted.encoder_hidden;
  await runRows(full, false);
  await runRows(decoderOnly, true);
  return { metrics, raw };

  async function runRows(group: Row[], fromEncoderHidden: boolean): Promise<void> {
    if (!group.length) return;
    const groupSites = sites.filter((s) => group.some((r) => r.patches.some((p) => p.site === s)));
    const perRowBytes = Td * V * 4 * 2 + ((fromEncoderHidden ? 0 : Te) + Td) * (t.dFf + 8 * D) * 4;
    await forEachChunk(group.length, async (a, b) => {
      await runChunk(group, a, b, groupSites, fromEncoderHidden);
    }, { signal: req.signal, onProgress: req.onProgress ? (u) => req.onProgress!({ ...u, fraction: (fromEncoderHidden ? full.length : 0) / rows.length + ((u.fraction ?? 0) * group.length) / rows.length }) : undefined, maxRows: Math.max(1, Math.min(chunkRows, Math.floor(256e6 / perRowBytes))), message: 'patched runs' });
  }

  async function runChunk(group: Row[], a: number, b: number, groupSites: PatchSite[], fromEncoderHidden: boolean): Promise<void> {
    const n = b - a;
    const feeds: Record<string, FloatTensor> = {};
    for (const [k, v] of Object.entries(src)) if (groupSites.some((s) => k.startsWith(`${s}_`))) feeds[k] = v;
    if (fromEncoderHidden) feeds.encoder_hidden = encHidden;
    for (const site of groupSites) {
      const isHead = site === 'encoder' || site === 'decoder' || site === 'cross';
      const L = layersOf(site);
      const T = site === 'encoder' || site === 'encoder_resid' ? Te : Td;
      const sel = new Float32Array(n * (isHead ? L * H : L));
      const pos = new Float32Array(n * T);
      for (let i = 0; i < n; i++) {
        for (const r of group[a + i].patches) {
          if (r.site !== site) continue;
          // A row patches one position of one site, or whole sites (every position of each component).
          sel[isHead ? (i * L + r.layer) * H + r.head : i * L + r.layer] = 1;
          if (r.pos < 0) pos.fill(1, i * T, (i + 1) * T);
          else pos[i * T + r.pos] = 1;
        }
      }
      if (isHead) {
        feeds[`${site}_patch_heads`] = { data: sel, dims: [n, L, H] };
        feeds[`${site}_patch_pos`] = { data: pos, dims: [n, T] };
      } else {
        const s = site === 'encoder_resid' ? 'encoder' : 'decoder';
        feeds[`${s}_resid_patch_layers`] = { data: sel, dims: [n, L] };
        feeds[`${s}_resid_patch_pos`] = { data: pos, dims: [n, T] };
      }
    }
    const rep = (x: TokenRows): TokenRows => {
      const data = new Int32Array(n * x.width);
      for (let i = 0; i < n; i++) data.set(Array.from(x.data), i * x.width);
      return { data, rows: n, width: x.width };
    };
    const inputs = fromEncoderHidden ? { encoder: corr.encoder, mask: corr.mask, decoder: rep(decoder) } : { encoder: rep(corr.encoder), mask: rep(corr.mask), decoder: rep(decoder) };
    const out = await runCausal(model, inputs, { logits: true, patch: groupSites, fromEncoderHidden }, feeds);
    for (let i = 0; i < n; i++) group[a + i].put(meanLogProb(out.logits.data, i, Td, V, pair.labels));
  }
}

/** (patched - corrupted) / (clean - corrupted), element-wise over nested arrays. */
export function restoredFraction<T>(raw: T, m: PatchMetrics): T {
  const den = m.clean - m.corrupted;
  const f = (x: unknown): unknown => (Array.isArray(x) ? x.map(f) : typeof x === 'number' ? (x - m.corrupted) / den : x);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) out[k] = v && typeof v === 'object' && !Array.isArray(v) ? restoredFraction(v, m) : f(v);
  return out as T;
}

/** Element-wise mean of nested number arrays of the same shape (objects by key). */
export function meanNested<T>(items: T[]): T {
  const f = (xs: unknown[]): unknown => {
    const first = xs[0];
    if (Array.isArray(first)) return first.map((_, i) => f(xs.map((x) => (x as unknown[])[i])));
    if (typeof first === 'number') return (xs as number[]).reduce((a, b) => a + b, 0) / xs.length;
    if (first && typeof first === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(first)) out[k] = f(xs.map((x) => (x as Record<string, unknown>)[k]));
      return out;
    }
    return first;
  };
  return f(items as unknown[]) as T;
}

/** Patches every pair and averages: the restored fraction is taken of the pair-averaged metrics. */
export async function runPatching(model: ChronosModel, pairs: PatchPair[], req: PatchRequest & { description: string; setLabels?: { label: string; control: boolean }[]; parameters?: Record<string, unknown>; seeds?: Record<string, number> }): Promise<PatchingResult> {
  if (!pairs.length) throw new ChronosLensError('BAD_INPUT', 'no clean / corrupted pairs to patch');
  const out: { metrics: PatchMetrics; raw: PatchRaw }[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const base = i / pairs.length;
    out.push(await patchPair(model, pairs[i], { ...req, pairsTotal: i === 0 ? pairs.length : 1, onProgress: req.onProgress ? (u) => req.onProgress!({ fraction: base + (u.fraction ?? 0) / pairs.length, message: `pair ${i + 1}/${pairs.length}` }) : undefined }));
  }
  const m = meanNested(out.map((o) => o.metrics));
  const raw = meanNested(out.map((o) => o.raw));
  const result: PatchingResult = {
    model: await modelSummary(model),
    description: req.description,
    metric: 'mean log-prob of the labels',
    pairs: pairs.length,
    clean: m.clean,
    corrupted: m.corrupted,
    restored: restoredFraction(raw, m),
    raw,
    parameters: { maps: req.maps ?? ['heads', 'resid'], kinds: req.kinds ?? ['encoder', 'decoder', 'cross'], stacks: req.stacks ?? ['encoder', 'decoder'], ...(req.parameters ?? {}) },
    manifest: await makeManifest(model, 'patch', req.seeds ?? {}, { description: req.description, pairs: pairs.length, ...(req.parameters ?? {}) }),
  };
  if (req.headSets?.length) result.sets = req.headSets.map((heads, i) => ({ label: req.setLabels?.[i]?.label ?? heads.map((h) => `${h.kind}:L${h.layer}.H${h.head}`).join('+'), heads, control: req.setLabels?.[i]?.control ?? false }));
  return result;
}
