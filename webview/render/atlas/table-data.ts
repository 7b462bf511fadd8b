/**
 * The atlas's tables as data (DOM-free): the table marks build an AtlasTableSpec, which is drawn as
 * elements (common.ts atlasTable, in the panel) or written as HTML text (atlasTableHtml, the CLI's
 * page: a sweep of thousands of tasks has tens of thousands of cells, which a DOM in Node builds and
 * serialises far too slowly).
 */
import type { AtlasTask } from '../../../analysis/types';

/** Class of every element that opens a task's manifest (the panel intercepts their clicks). */
export const TASK_LINK_CLASS = 'cl-task-link';

/** A number (or name) that opens a task's manifest. */
export interface LinkCell {
  text: string;
  task: AtlasTask | undefined;
}
/** A table cell: text, a link, or several of them (with a separator); `className` adds to the column's. */
export type Cell = string | LinkCell | { parts: (string | LinkCell)[]; sep?: string; className?: string };

/** A table: its class, caption (for screen readers), columns and rows. */
export interface AtlasTableSpec {
  className: string;
  caption: string;
  /** Column headers; `num` right-aligns the column. The first cell of a row is its header. */
  columns: { label: string; num?: boolean }[];
  rows: Cell[][];
}

export function linkCell(task: AtlasTask | undefined, text: string): LinkCell {
  return { text, task };
}

export function cellParts(c: Cell): { parts: (string | LinkCell)[]; sep: string; className?: string } {
  if (typeof c === 'string') return { parts: [c], sep: '' };
  if ('parts' in c) return { parts: c.parts, sep: c.sep ?? ', ', className: c.className };
  return { parts: [c], sep: '' };
}

export function cellClass(spec: AtlasTableSpec, i: number, className: string | undefined): string | undefined {
  return spec.columns[i]?.num ? (className ? `num ${className}` : 'num') : className;
}

const escapeText = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The same table as HTML text (what atlasTable's element serialises to, without building it). */
export function atlasTableHtml(spec: AtlasTableSpec): string {
  const out: string[] = [`<table class="cl-atlas-table ${escapeText(spec.className)}"><caption>${escapeText(spec.caption)}</caption><thead><tr>`];
  for (const c of spec.columns) out.push(`<th scope="col"${c.num ? ' class="num"' : ''}>${escapeText(c.label)}</th>`);
  out.push('</tr></thead><tbody>');
  for (const row of spec.rows) {
    out.push('<tr>');
    row.forEach((cell, i) => {
      const tag = i === 0 ? 'th' : 'td';
      const c = cellParts(cell);
      const cls = cellClass(spec, i, c.className);
      out.push(`<${tag}${i === 0 ? ' scope="row"' : ''}${cls ? ` class="${escapeText(cls)}"` : ''}>`);
      c.parts.forEach((p, j) => {
        if (j && c.sep) out.push(escapeText(c.sep));
        if (typeof p === 'string') out.push(escapeText(p));
        else if (!p.task) out.push(escapeText(p.text));
        else out.push(`<a class="${TASK_LINK_CLASS}" href="${escapeText(p.task.manifest)}" data-task="${escapeText(p.task.id)}" title="task ${escapeText(p.task.id)}">${escapeText(p.text)}</a>`);
      });
      out.push(`</${tag}>`);
    });
    out.push('</tr>');
  }
  out.push('</tbody></table>');
  return out.join('');
}

export function tableSpec(className: string, caption: string, columns: AtlasTableSpec['columns'], rows: Cell[][]): AtlasTableSpec {
  return { className, caption, columns, rows };
}
