/**
 * What the atlas marks share: the link every number carries to its task's manifest, model order
 * (smallest model first: the model-size axis reads left to right and top to bottom), the parameter
 * count's short form, and a plain table builder. DOM helpers only; no state.
 */
import type { AtlasSummary, AtlasTask } from '../../../analysis/types';
import { SVG_NS } from '../dom';

/** Class of every element that opens a task's manifest (the panel intercepts their clicks). */
export const TASK_LINK_CLASS = 'cl-task-link';

export function taskById(atlas: Pick<AtlasSummary, 'tasks'>): Map<string, AtlasTask> {
  return new Map(atlas.tasks.map((t) => [t.id, t]));
}

/**
 * A link to a task's manifest: `href` is the manifest's path relative to the atlas file (a static page
 * follows it), `data-task` the task id (the panel opens the manifest in an editor instead).
 */
export function taskLink(doc: Document, task: AtlasTask | undefined, text: string, label?: string): HTMLElement {
  if (!task) {
    const span = doc.createElement('span');
    span.textContent = text;
    return span;
  }
  const a = doc.createElement('a');
  a.className = TASK_LINK_CLASS;
  a.href = task.manifest;
  a.dataset.task = task.id;
  a.title = `Task ${task.id}: open its manifest`;
  if (label) a.setAttribute('aria-label', `${label}: ${text} (task ${task.id}, opens its manifest)`);
  a.textContent = text;
  return a;
}

/** The same link around SVG content (a chart's point). */
export function svgTaskLink(doc: Document, task: AtlasTask, label: string): SVGAElement {
  const a = doc.createElementNS(SVG_NS, 'a') as SVGAElement;
  a.setAttribute('class', TASK_LINK_CLASS);
  a.setAttribute('href', task.manifest);
  a.setAttribute('data-task', task.id);
  a.setAttribute('aria-label', `${label} (task ${task.id}, opens its manifest)`);
  return a;
}

/** Model indices, smallest first (unknown sizes last, then in plan order). */
export function modelOrder(atlas: Pick<AtlasSummary, 'models'>): number[] {
  const size = (i: number) => atlas.models[i].parameters ?? Number.POSITIVE_INFINITY;
  return atlas.models.map((_, i) => i).sort((a, b) => size(a) - size(b) || a - b);
}

/** 8.4M, 46k, 1.2B; '?' before any of the model's tasks finished. */
export function fmtParams(n: number | undefined): string {
  if (!n) return '?';
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

export function seedText(s: number | null): string {
  return s === null ? 'default' : String(s);
}

export type Cell = string | Node | { node: Node | string; num?: boolean; className?: string };

/** A table: column headers (`num` right-aligns), then rows of cells; the first cell of a row is its header. */
export function atlasTable(doc: Document, className: string, caption: string, columns: { label: string; num?: boolean }[], rows: Cell[][]): HTMLTableElement {
  const table = doc.createElement('table');
  table.className = `cl-atlas-table ${className}`;
  const cap = doc.createElement('caption');
  cap.textContent = caption;
  table.append(cap);
  const thead = doc.createElement('thead');
  const htr = doc.createElement('tr');
  for (const c of columns) {
    const th = doc.createElement('th');
    th.scope = 'col';
    th.textContent = c.label;
    if (c.num) th.className = 'num';
    htr.append(th);
  }
  thead.append(htr);
  table.append(thead);
  const tbody = doc.createElement('tbody');
  for (const row of rows) {
    const tr = doc.createElement('tr');
    row.forEach((cell, i) => {
      const el = doc.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) (el as HTMLTableCellElement).scope = 'row';
      const c = typeof cell === 'object' && cell !== null && 'node' in cell ? cell : { node: cell };
      const cls = [columns[i]?.num || c.num ? 'num' : '', c.className ?? ''].filter(Boolean).join(' ');
      if (cls) el.className = cls;
      el.append(c.node);
      tr.append(el);
    });
    tbody.append(tr);
  }
  table.append(tbody);
  return table;
}

/** Several nodes (links and text) as one cell. */
export function joinNodes(doc: Document, parts: (Node | string)[], sep = ', '): DocumentFragment {
  const f = doc.createDocumentFragment();
  parts.forEach((p, i) => {
    if (i) f.append(sep);
    f.append(p);
  });
  return f;
}
