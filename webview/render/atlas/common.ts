/**
 * What the atlas marks share: the link every number carries to its task's manifest, model order
 * (smallest model first: the model-size axis reads left to right and top to bottom), the parameter
 * count's short form, and a plain table builder. DOM helpers only; no state.
 */
import type { AtlasSummary, AtlasTask } from '../../../analysis/types';
import { SVG_NS } from '../dom';
import { TASK_LINK_CLASS, cellClass, cellParts, type AtlasTableSpec, type LinkCell } from './table-data';

export * from './table-data';


export function taskById(atlas: Pick<AtlasSummary, 'tasks'>): Map<string, AtlasTask> {
  return new Map(atlas.tasks.map((t) => [t.id, t]));
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



/**
 * A link to a task's manifest: `href` is the manifest's path relative to the atlas file (a static page
 * follows it), `data-task` the task id (the panel opens the manifest in an editor instead).
 */
export function linkElement(doc: Document, l: LinkCell): Node {
  if (!l.task) return doc.createTextNode(l.text);
  const a = doc.createElement('a');
  a.setAttribute('class', TASK_LINK_CLASS);
  a.setAttribute('href', l.task.manifest);
  a.setAttribute('data-task', l.task.id);
  a.setAttribute('title', `task ${l.task.id}`);
  a.textContent = l.text;
  return a;
}

export function atlasTable(doc: Document, spec: AtlasTableSpec): HTMLTableElement {
  const table = doc.createElement('table');
  table.setAttribute('class', `cl-atlas-table ${spec.className}`);
  const cap = doc.createElement('caption');
  cap.textContent = spec.caption;
  table.append(cap);
  const thead = doc.createElement('thead');
  const htr = doc.createElement('tr');
  for (const c of spec.columns) {
    const th = doc.createElement('th');
    th.setAttribute('scope', 'col');
    th.textContent = c.label;
    if (c.num) th.setAttribute('class', 'num');
    htr.append(th);
  }
  thead.append(htr);
  table.append(thead);
  const tbody = doc.createElement('tbody');
  for (const row of spec.rows) {
    const tr = doc.createElement('tr');
    row.forEach((cell, i) => {
      const el = doc.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) el.setAttribute('scope', 'row');
      const c = cellParts(cell);
      const cls = cellClass(spec, i, c.className);
      if (cls) el.setAttribute('class', cls);
      c.parts.forEach((p, j) => {
        if (j && c.sep) el.append(c.sep);
        el.append(typeof p === 'string' ? p : linkElement(doc, p));
      });
      tr.append(el);
    });
    tbody.append(tr);
  }
  table.append(tbody);
  return table;
}


