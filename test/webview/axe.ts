/** The axe-core audit of a page in real Chromium, shared by the accessibility tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, type ViewPage } from './harness';

const AXE = readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe-core's serious and critical violations in the page (injected through the debugger protocol: the page's CSP allows no inline script). */
export async function axeViolations(v: ViewPage): Promise<string[]> {
  await v.page.evaluate(AXE);
  const violations = await v.page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations;
  });
  return violations
    .filter((x) => x.impact === 'serious' || x.impact === 'critical')
    .map((x) => `${x.impact} ${x.id}: ${x.help} — ${x.nodes.length} nodes, e.g. ${JSON.stringify(x.nodes[0]?.target)} ${x.nodes[0]?.failureSummary ?? ''}`);
}
