/** Number and label formatting shared by charts, tooltips, tables and exports. */
import type { AttentionKind, HeadRef, MosaicProtocol } from '../../analysis/types';

export const KIND_LABEL: Readonly<Record<AttentionKind, string>> = {
  cross: 'Cross-attention',
  encoder: 'Encoder self-attention',
  decoder: 'Decoder self-attention',
};
export const KIND_SHORT: Readonly<Record<AttentionKind, string>> = { cross: 'Cross', encoder: 'Encoder', decoder: 'Decoder' };

export type MosaicSide = 'center' | 'right';
export const SIDES: readonly MosaicSide[] = ['center', 'right'];
/** What a mosaic repeats: tokens (Chronos-T5) or patches (Chronos-Bolt, whose protocol names its patch). */
export type MosaicUnit = 'token' | 'patch';
export function mosaicUnit(p: Pick<MosaicProtocol, 'patch'> | undefined): MosaicUnit {
  return p?.patch ? 'patch' : 'token';
}
/** The two scores' names: attention to the earlier copy of the current token or patch, and to the one after it. */
export const SIDE_LABELS: Readonly<Record<MosaicUnit, Readonly<Record<MosaicSide, string>>>> = {
  token: { center: 'Current token', right: 'Token to right' },
  patch: { center: 'Current patch', right: 'Patch to right' },
};

/** A score with 3 decimals; '–' for missing / non-finite. */
export function fmtScore(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3);
}

/** `0.412 ± 0.013` */
export function fmtScoreSe(v: number | undefined, se: number | undefined): string {
  return se === undefined || !Number.isFinite(se) ? fmtScore(v) : `${fmtScore(v)} ± ${fmtScore(se)}`;
}

/** A metric value with 4 significant digits (metrics span orders of magnitude). */
export function fmtMetric(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
  return Number(v.toPrecision(4)).toString();
}

export function fmtSigned(v: number, f: (x: number) => string = fmtMetric): string {
  return v > 0 ? `+${f(v)}` : f(v).replace('-', '−');
}

export function fmtPercent(v: number, digits = 1): string {
  return Number.isFinite(v) ? `${v.toFixed(digits)}%` : '–';
}

/** "L3.H5" (zero-based, as the CLI accepts them). */
export function headId(h: Pick<HeadRef, 'layer' | 'head'>): string {
  return `L${h.layer}.H${h.head}`;
}

/** "induction_loss" → "Induction loss"; known acronyms upper-cased. */
export function metricLabel(name: string): string {
  const known: Record<string, string> = {
    induction_loss: 'Induction loss (repeated tokens)',
    induction_loss_control: 'Loss on non-repeating control',
    copy_loss: 'Copy loss (repeated patches)',
    copy_loss_control: 'Copy loss on non-repeating control',
    mase: 'MASE',
    wql: 'WQL',
    mae_median: 'MAE of the median',
  };
  if (known[name]) return known[name];
  const s = name.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The repeated unit: "10 tokens", "10 patches of 16" or "24 values on patches of 16" (the sub-patch variant). */
export function mosaicRepeatUnit(p: MosaicProtocol): string {
  if (!p.patch) return `${p.seqLen} tokens`;
  const { size, period } = p.patch;
  return period % size === 0 ? `${period / size} patches of ${size}` : `${period} values on patches of ${size}`;
}

/** Where a mosaic's batch came from, in one phrase (every protocol: tokens, patches, series windows). */
export function mosaicSource(p: MosaicProtocol): string {
  if (p.series) return `${p.series.windows} windows of ${p.series.file} · ${p.series.column} (${mosaicRepeatUnit(p)})`;
  if (p.patch) return `${p.batch} × ${mosaicRepeatUnit(p)}, random normal values`;
  return `${p.batch} × ${p.seqLen} random tokens${p.vocab ? ` (${p.vocab[0]}–${p.vocab[1]})` : ''}`;
}
