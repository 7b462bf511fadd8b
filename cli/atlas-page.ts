/**
 * The sweep atlas as one standalone HTML page (no script, no network): the model-size axis (induction
 * heads against parameters, the background article's headline comparison), the induction counts per
 * model (center / right / total), the reference mosaics side by side drawn by the webview's own SVG
 * renderer at its fixed colour scale (attention probability 0 to 1, so colours compare across models),
 * ablation effects per dataset against their random control sets, and forecast metrics. Every number
 * links to the manifest of the task that produced it.
 */
import type { Atlas, AtlasTask } from '../analysis/sweep/merge';
import { ATTENTION_KINDS, type AttentionKind, type MosaicResult } from '../analysis/types';
import { escapeHtml, htmlDocument } from '../core/html';
import { renderMosaicFigure } from './figures';

const esc = escapeHtml;

function fmt(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function fmtParams(n: number | undefined): string {
  if (!n) return '?';
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : String(n);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{padding:3px 8px;border-bottom:1px solid #eaeef2;text-align:right;white-space:nowrap}
th{background:#f6f8fa;font-weight:600}td.l,th.l{text-align:left}a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
.muted{color:#656d76}.mosaics{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.mosaic{border:1px solid #d0d7de;border-radius:6px;padding:8px}
.mosaic svg{display:block;max-width:100%;height:auto}.bad{color:#cf222e}
@media (prefers-color-scheme: dark){body{color:#e6edf3;background:#0d1117}th{background:#161b22}th,td{border-color:#30363d}a{color:#58a6ff}.mosaic{border-color:#30363d;background:#fff}.muted{color:#8d96a0}}
`;

/** The headline chart: induction heads (total over the kinds counted) against model parameters, log axis. */
function sizeChart(atlas: Atlas, kind: AttentionKind): string {
  const points: { x: number; y: number; label: string; task: string }[] = [];
  atlas.models.forEach((m, mi) => {
    const rows = atlas.induction.filter((r) => r.model === mi && atlas.datasets[r.dataset].kind === 'reference' && r.counts[kind]);
    if (!rows.length || !m.parameters) return;
    const y = rows.reduce((a, r) => a + r.counts[kind]!.total, 0) / rows.length;
    points.push({ x: m.parameters, y, label: m.label, task: rows[0].task });
  });
  if (!points.length) return '<p class="muted">No reference mosaics finished yet.</p>';
  const W = 560;
  const H = 260;
  const L = 48;
  const B = 36;
  const xs = points.map((p) => Math.log10(p.x));
  let x0 = Math.floor(Math.min(...xs));
  let x1 = Math.ceil(Math.max(...xs));
  if (x0 === x1) {
    x0 -= 1;
    x1 += 1;
  }
  const yMax = Math.max(1, ...points.map((p) => p.y));
  const sx = (v: number) => L + ((Math.log10(v) - x0) / (x1 - x0)) * (W - L - 16);
  const sy = (v: number) => H - B - (v / yMax) * (H - B - 16);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="induction heads against model parameters">`];
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - 8}" y2="${H - B}" stroke="#57606a"/><line x1="${L}" y1="8" x2="${L}" y2="${H - B}" stroke="#57606a"/>`);
  for (let e = x0; e <= x1; e++) {
    const x = sx(10 ** e);
    parts.push(`<line x1="${x}" y1="${H - B}" x2="${x}" y2="${H - B + 4}" stroke="#57606a"/><text x="${x}" y="${H - B + 16}" font-size="11" text-anchor="middle" fill="#57606a">${fmtParams(10 ** e)}</text>`);
  }
  const step = Math.max(1, Math.ceil(yMax / 5));
  for (let v = 0; v <= yMax; v += step) parts.push(`<text x="${L - 6}" y="${sy(v) + 4}" font-size="11" text-anchor="end" fill="#57606a">${v}</text>`);
  parts.push(`<text x="${(W + L) / 2}" y="${H - 4}" font-size="12" text-anchor="middle" fill="#1f2328">parameters (log scale)</text>`);
  parts.push(`<text x="12" y="${(H - B) / 2}" font-size="12" text-anchor="middle" fill="#1f2328" transform="rotate(-90 12 ${(H - B) / 2})">induction heads (${kind})</text>`);
  const sorted = [...points].sort((a, b) => a.x - b.x);
  if (sorted.length > 1) parts.push(`<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${sorted.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`);
  for (const p of sorted) {
    parts.push(`<a href="${esc(atlas.tasks.find((t) => t.id === p.task)!.manifest)}"><circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5" fill="#0969da"><title>${esc(p.label)}: ${fmt(p.y, 1)} heads, ${fmtParams(p.x)} parameters</title></circle></a>`);
    parts.push(`<text x="${sx(p.x).toFixed(1)}" y="${(sy(p.y) - 9).toFixed(1)}" font-size="11" text-anchor="middle" fill="#1f2328">${esc(p.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

export function renderAtlasPage(atlas: Atlas): string {
  const byId = new Map<string, AtlasTask>(atlas.tasks.map((t) => [t.id, t]));
  const link = (task: string, text: string) => `<a href="${esc(byId.get(task)!.manifest)}" title="task ${task}">${esc(text)}</a>`;
  const seedText = (s: number | null) => (s === null ? 'default' : String(s));
  const order = atlas.models.map((_, i) => i).sort((a, b) => (atlas.models[a].parameters ?? 0) - (atlas.models[b].parameters ?? 0) || a - b);
  const kinds = ATTENTION_KINDS.filter((k) => atlas.induction.some((r) => r.counts[k]));
  const c = atlas.counts;
  const out: string[] = [];
  out.push(`<h1>Sweep atlas · ${esc(atlas.name)}</h1>`);
  out.push(
    `<p class="muted">${atlas.tasks.length} tasks: ${c.done} done${c.failed ? `, <span class="bad">${c.failed} failed</span>` : ''}${c.pending + c.running ? `, ${c.pending + c.running} not finished` : ''} · ${plural(atlas.models.length, 'model')} · ${plural(atlas.datasets.length, 'dataset')} · chronos-lens ${esc(atlas.toolVersion)}. Every number links to its task's manifest.</p>`,
  );

  out.push('<h2>Induction heads against model size</h2>');
  for (const k of kinds.length ? kinds : (['cross'] as AttentionKind[])) out.push(sizeChart(atlas, k));

  out.push('<h2>Induction heads per model (center / right / total)</h2>');
  if (!atlas.induction.length) out.push('<p class="muted">No mosaic finished yet.</p>');
  else {
    out.push(`<table><tr><th class="l">model</th><th>parameters</th><th class="l">data</th><th>seed</th><th>threshold</th>${kinds.map((k) => `<th>${k} center</th><th>${k} right</th><th>${k} total</th>`).join('')}</tr>`);
    for (const mi of order) {
      for (const r of atlas.induction.filter((x) => x.model === mi)) {
        const cells = kinds.map((k) => {
          const ct = r.counts[k];
          return ct ? `<td>${link(r.task, String(ct.center))}</td><td>${link(r.task, String(ct.right))}</td><td>${link(r.task, `${ct.total} (${ct.percent.toFixed(0)}% of ${ct.heads})`)}</td>` : '<td>—</td><td>—</td><td>—</td>';
        });
        out.push(`<tr><td class="l">${esc(atlas.models[mi].label)}</td><td>${fmtParams(atlas.models[mi].parameters)}</td><td class="l">${esc(atlas.datasets[r.dataset].label)}</td><td>${seedText(r.seed)}</td><td>${r.threshold}</td>${cells.join('')}</tr>`);
      }
    }
    out.push('</table>');
  }

  out.push('<h2>Mosaics</h2><p class="muted">Reference protocol, first seed of each model, smallest model first; one colour scale for all (attention probability 0 to 1).</p><div class="mosaics">');
  let drawn = 0;
  for (const mi of order) {
    const r = atlas.induction.find((x) => x.model === mi && atlas.datasets[x.dataset].kind === 'reference');
    const res = r && atlas.results[r.task];
    if (!r || !res) continue;
    const svg = renderMosaicFigure(res.result as MosaicResult, 'svg', { kinds: ATTENTION_KINDS.filter((k) => (res.result as MosaicResult)[k]), width: 520 });
    out.push(`<figure class="mosaic">${svg}<figcaption>${link(r.task, `${atlas.models[mi].label} (${fmtParams(atlas.models[mi].parameters)})`)}</figcaption></figure>`);
    drawn++;
  }
  if (!drawn) out.push('<p class="muted">No reference mosaic finished yet.</p>');
  out.push('</div>');

  out.push('<h2>Ablation effects per dataset</h2>');
  if (!atlas.ablations.length) out.push('<p class="muted">No ablation finished yet.</p>');
  else {
    out.push('<table><tr><th class="l">model</th><th class="l">dataset</th><th>seed</th><th class="l">heads</th><th class="l">metric</th><th>unablated</th><th>ablated</th><th>change</th><th>controls (mean ± sd)</th><th>percentile</th><th>z</th></tr>');
    for (const mi of order) {
      for (const a of atlas.ablations.filter((x) => x.model === mi)) {
        for (const m of a.metrics) {
          out.push(
            `<tr><td class="l">${esc(atlas.models[mi].label)}</td><td class="l">${esc(atlas.datasets[a.dataset].label)}</td><td>${seedText(a.seed)}</td><td class="l">${esc(`${a.method}: ${a.heads.join(', ')}`)}</td><td class="l">${esc(m.name)}</td>` +
              `<td>${link(a.task, fmt(m.unablated))}</td><td>${link(a.task, fmt(m.ablated))}</td><td>${link(a.task, `${(m.change ?? 0) >= 0 ? '+' : ''}${fmt(m.change)}`)}</td>` +
              `<td>${link(a.task, `${fmt(m.controlsMean)} ± ${fmt(m.controlsSd)} (${a.controls})`)}</td><td>${link(a.task, fmt(m.percentile, 0))}</td><td>${link(a.task, fmt(m.zScore, 2))}</td></tr>`,
          );
        }
      }
    }
    out.push('</table>');
  }

  out.push('<h2>Forecast metrics</h2>');
  if (!atlas.forecasts.length) out.push('<p class="muted">No forecast metrics finished yet.</p>');
  else {
    out.push('<table><tr><th class="l">model</th><th class="l">dataset</th><th>seed</th><th>held out</th><th>period</th><th>MASE</th><th>WQL</th><th>MAE (median)</th></tr>');
    for (const mi of order) {
      for (const f of atlas.forecasts.filter((x) => x.model === mi)) {
        out.push(`<tr><td class="l">${esc(atlas.models[mi].label)}</td><td class="l">${esc(atlas.datasets[f.dataset].label)}</td><td>${seedText(f.seed)}</td><td>${f.heldOut}</td><td>${f.period}</td><td>${link(f.task, fmt(f.mase))}</td><td>${link(f.task, fmt(f.wql))}</td><td>${link(f.task, fmt(f.mae_median))}</td></tr>`);
      }
    }
    out.push('</table>');
  }

  if (atlas.attributions.length) {
    out.push('<h2>Direct attribution of a forecast step</h2><p class="muted">The largest components (embedding, attention heads, feed-forward blocks) of the attributed quantity; every component is in the task\'s result.</p>');
    out.push('<table><tr><th class="l">model</th><th class="l">dataset</th><th class="l">target</th><th>step</th><th>total</th><th class="l">largest components</th></tr>');
    for (const mi of order) {
      for (const x of atlas.attributions.filter((y) => y.model === mi)) {
        const parts = x.top.map((c) => link(x.task, `${c.component} ${fmt(c.value, 3)}`)).join(', ');
        out.push(`<tr><td class="l">${esc(atlas.models[mi].label)}</td><td class="l">${esc(atlas.datasets[x.dataset].label)}</td><td class="l">${esc(x.target)}</td><td>${x.step}</td><td>${link(x.task, fmt(x.total))}</td><td class="l">${parts}</td></tr>`);
      }
    }
    out.push('</table>');
  }

  const unfinished = atlas.tasks.filter((t) => t.state !== 'done');
  if (unfinished.length) {
    out.push(`<h2>Unfinished tasks (${unfinished.length})</h2><table><tr><th class="l">task</th><th class="l">state</th><th class="l">analysis</th><th class="l">model</th><th class="l">dataset</th><th class="l">error</th></tr>`);
    for (const t of unfinished.slice(0, 500)) {
      out.push(`<tr><td class="l">${link(t.id, t.id)}</td><td class="l">${t.state}</td><td class="l">${atlas.analyses[t.analysis].type}</td><td class="l">${esc(atlas.models[t.model].label)}</td><td class="l">${esc(atlas.datasets[t.dataset].label)}</td><td class="l bad">${esc(t.error ?? '')}</td></tr>`);
    }
    out.push('</table>');
  }

  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return htmlDocument({ csp, title: `Sweep atlas · ${atlas.name}`, head: [`<style>${STYLE}</style>`], body: out });
}
