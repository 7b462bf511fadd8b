/** Small DOM helpers shared by the render functions. No globals are required: pass a `document`. */
import { select, type Selection } from 'd3';
import type { ChartTheme } from './theme';

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Options every render function takes. */
export interface RenderTarget {
  /** The document to create elements in (a browser's, or jsdom's in Node). Default: the global one. */
  document?: Document;
}

/** The frame of a plot of labelled rows (ablation metrics, attribution bars, layer sweeps): labels end at labelWidth, the plot runs from plotLeft to plotRight. */
export interface LabelledRowsFrame {
  width: number;
  height: number;
  labelWidth: number;
  plotLeft: number;
  plotRight: number;
  rowHeight: number;
}

export function resolveDocument(opts: RenderTarget): Document {
  const doc = opts.document ?? (globalThis as { document?: Document }).document;
  if (!doc) throw new Error('Chronos Lens render functions need a document: pass { document } (e.g. from jsdom) outside a browser.');
  return doc;
}

export type Sel<E extends Element = Element> = Selection<E, unknown, null, undefined>;
/** A d3 selection of any SVG child element (what `append` returns, narrowed for our helpers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySel = Selection<any, any, any, any>;

/** A new <svg> root of the given size (no children), as a d3 selection. */
export function createSvg(doc: Document, width: number, height: number, className: string): Sel<SVGSVGElement> {
  const svg = doc.createElementNS(SVG_NS, 'svg') as SVGSVGElement;
  svg.setAttribute('class', className);
  svg.setAttribute('width', fmtNum(width));
  svg.setAttribute('height', fmtNum(height));
  svg.setAttribute('viewBox', `0 0 ${fmtNum(width)} ${fmtNum(height)}`);
  return select(svg);
}

/** Rounds a coordinate to 2 decimals so the output is stable and compact. */
export function fmtNum(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? '0' : String(r);
}

/** Sets inline style properties (CSSOM: allowed under a strict CSP). Undefined values are skipped. */
export function styles(sel: AnySel, props: Record<string, string | number | undefined>): AnySel {
  for (const [k, v] of Object.entries(props)) if (v !== undefined) sel.style(k, String(v));
  return sel;
}

export interface TextOptions {
  anchor?: 'start' | 'middle' | 'end';
  baseline?: 'auto' | 'middle' | 'hanging' | 'central';
  size?: number;
  weight?: number | string;
  fill?: string;
  className?: string;
  rotate?: number;
}

/** Appends a <text>. `dominant-baseline` is avoided in favour of `dy` (renderers disagree on it). */
export function text(parent: AnySel, x: number, y: number, content: string, theme: ChartTheme, o: TextOptions = {}): AnySel {
  const size = o.size ?? theme.fontSize;
  const t = parent.append('text').attr('x', fmtNum(x)).attr('y', fmtNum(y));
  if (o.className) t.attr('class', o.className);
  if (o.anchor && o.anchor !== 'start') t.attr('text-anchor', o.anchor);
  if (o.baseline === 'middle' || o.baseline === 'central') t.attr('dy', '0.35em');
  else if (o.baseline === 'hanging') t.attr('dy', '0.8em');
  if (o.rotate) t.attr('transform', `rotate(${o.rotate} ${fmtNum(x)} ${fmtNum(y)})`);
  // font-family is inherited from the <svg> root (set once there).
  styles(t, { fill: o.fill ?? theme.foreground, 'font-size': `${size}px`, 'font-weight': o.weight });
  t.text(content);
  return t;
}

/** A rough text width (px) for layout: deterministic, no layout engine needed (jsdom has none). */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) {
    if ('il.,:;|!\'1'.includes(ch)) w += 0.3;
    else if ('mwMW@%'.includes(ch)) w += 0.85;
    else if (ch === ' ') w += 0.3;
    else if (ch >= 'A' && ch <= 'Z') w += 0.65;
    else w += 0.56;
  }
  return w * size;
}

/** Words of `s` in lines no wider than `maxWidth` (by textWidth, an estimate: leave a margin for bold type); a single word wider than that keeps a line of its own. */
export function wrapWords(s: string, maxWidth: number, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

/** Serialises an SVG element to a standalone document string (XML declaration included). */
export function serializeSvg(svg: SVGSVGElement): string {
  const win = svg.ownerDocument.defaultView as (Window & typeof globalThis) | null;
  let xml = win?.XMLSerializer ? new win.XMLSerializer().serializeToString(svg) : svg.outerHTML;
  // XMLSerializer declares the SVG namespace on the root; outerHTML (and some serialisers) do not.
  if (!/^<svg[^>]*\sxmlns="/.test(xml)) xml = xml.replace(/^<svg/, `<svg xmlns="${SVG_NS}"`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`;
}

/** Appends <title> (tooltip / accessible name) to an element. */
export function title(parent: AnySel, content: string): void {
  parent.append('title').text(content);
}

/**
 * Makes a table stackable: each body cell carries its column's heading (data-label) so that a
 * narrow panel can show every row as a card of "heading  value" lines (the `stackable` rules in the
 * components' styles), and the rows, cells and headings keep their table roles when CSS lays them
 * out as blocks (Chromium drops the implicit ones then).
 */
export function makeStackable(table: HTMLTableElement): HTMLTableElement {
  table.classList.add('stackable');
  table.setAttribute('role', 'table');
  const heads = Array.from(table.tHead?.rows[0]?.cells ?? [], (c) => c.textContent ?? '');
  for (const section of [table.tHead, ...Array.from(table.tBodies)]) {
    if (!section) continue;
    section.setAttribute('role', 'rowgroup');
    for (const row of Array.from(section.rows)) {
      row.setAttribute('role', 'row');
      Array.from(row.cells).forEach((c, i) => {
        const header = c.tagName === 'TH';
        c.setAttribute('role', section === table.tHead ? 'columnheader' : header ? 'rowheader' : 'cell');
        if (section !== table.tHead && heads[i]) c.dataset.label = heads[i];
      });
    }
  }
  return table;
}
