/**
 * The heatmap colour scale: plasma (the article's Plotly default), perceptually uniform and
 * monotone in lightness, so it reads the same on light, dark and high-contrast backgrounds. The
 * cells carry their own colours (never a theme colour) and every overlay drawn on them (threshold
 * outlines, marks, values) uses a two-tone stroke or a per-cell contrasting colour.
 */
import { color as d3color, interpolatePlasma, interpolateViridis } from 'd3';

export type HeatScheme = 'plasma' | 'viridis';
const INTERPOLATORS: Record<HeatScheme, (t: number) => string> = { plasma: interpolatePlasma, viridis: interpolateViridis };

export interface HeatScale {
  (value: number): string;
  domain: [number, number];
  scheme: HeatScheme;
}

/** value → colour over `domain` (clamped); non-finite values map to a neutral grey. */
export function heatScale(domain: [number, number] = [0, 1], scheme: HeatScheme = 'plasma'): HeatScale {
  const [lo, hi] = domain;
  const span = hi - lo || 1;
  const interp = INTERPOLATORS[scheme];
  const f = ((v: number) => {
    if (!Number.isFinite(v)) return '#808080';
    const t = Math.min(1, Math.max(0, (v - lo) / span));
    return normalizeColor(interp(t));
  }) as HeatScale;
  f.domain = [lo, hi];
  f.scheme = scheme;
  return f;
}

/** `#rrggbb` for any CSS colour d3 can parse (keeps output identical across environments). */
export function normalizeColor(c: string): string {
  const p = d3color(c);
  return p ? p.formatHex() : c;
}

/** Relative luminance (WCAG) of a colour d3 can parse; 0.5 when it cannot. */
export function luminance(c: string): number {
  const p = d3color(c)?.rgb();
  if (!p) return 0.5;
  const ch = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * ch(p.r) + 0.7152 * ch(p.g) + 0.0722 * ch(p.b);
}

/** Black or white, whichever contrasts more with `background` (for values printed on cells). */
export function contrastText(background: string): string {
  const l = luminance(background);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
}
