/**
 * The text editor hover of a CSV cell inside the context window: the cell's token id and bin value
 * (Chronos-T5) or the patch it belongs to (Chronos-Bolt: its 1-based index and data rows), the 3 heads
 * that attend most strongly from it with the rows (or patches) they attend to (command links that
 * reveal those lines), and a link that opens the series view there. Pure: builds Markdown text from
 * facts the adapter gathered from the cached analysis. vscode-free.
 */
import type { AttendingHead } from './series-lens';

/** Internal commands the hover links to (registered by the adapter, not contributed to the palette). */
export const HOVER_COMMANDS = {
  revealLine: 'chronosLens.series.revealLine',
  openAt: 'chronosLens.series.openAt',
} as const;

/** A head of the hover, its targets with their data rows and document lines. */
export interface HoverHead extends Omit<AttendingHead, 'targets'> {
  /** `row` is the target's (first) data row; `lastRow` the last one of a patch. */
  targets: { position: number; weight: number; row: number; line: number; lastRow?: number }[];
}

export interface HoverFacts {
  /** The document's URI as a string (command arguments). */
  uri: string;
  column: string;
  model: string;
  /** Data row (0-based), its document line (0-based), its context position (0-based), the window's length; shown 1-based, as the editor counts. */
  row: number;
  line: number;
  position: number;
  contextLength: number;
  /** The cell's value as read (NaN when missing). */
  value: number;
  /** Token id at the position; undefined when the value is missing (masked). */
  token?: number;
  /** The bin's centre in scaled units, and the context's scale: the bin value is centre × scale. */
  binCenter?: number;
  scale: number;
  heads: HoverHead[];
  /**
   * Chronos-Bolt: the cell's patch (context position `position`), its first and last data rows (the
   * left padding of the first patch has none), its size, and whether any of its values is observed.
   */
  patch?: { first: number; last: number; size: number; observed: boolean };
}

/** `command:` link URI with JSON arguments (VS Code decodes them for the command). */
export function commandUri(command: string, args: unknown): string {
  return `command:${command}?${encodeURIComponent(JSON.stringify(args))}`;
}

function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(digits)));
}

/** Markdown escaping for text pieces (column names come from the user's file). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}

/** The hover's Markdown (trusted for the two commands in HOVER_COMMANDS only). */
export function hoverMarkdown(f: HoverFacts): string {
  const lines: string[] = [];
  const p = f.patch;
  const where = p ? `patch ${f.position + 1} of ${f.contextLength}` : `context position ${f.position + 1} of ${f.contextLength}`;
  lines.push(`**Chronos Lens** · ${escapeMarkdown(f.column)} · row ${f.row + 1} (line ${f.line + 1}) · ${where} · ${escapeMarkdown(f.model)}`);
  lines.push('');
  if (p) {
    lines.push(`Patch **${f.position + 1}** · rows ${p.first + 1}–${p.last + 1} (${p.size} values${p.last - p.first + 1 < p.size ? `, ${p.size - (p.last - p.first + 1)} of them left padding` : ''}) · cell ${fmt(f.value, 6)}${p.observed ? '' : ' · every value missing: masked in the encoder'}`);
  } else if (f.token === undefined) lines.push(`Missing value: masked in the model's input (no token).`);
  else {
    const bin = f.binCenter === undefined ? undefined : f.binCenter * f.scale;
    lines.push(`Token **${f.token}** · bin value ${bin === undefined ? '?' : fmt(bin)} (bin centre ${f.binCenter === undefined ? '?' : fmt(f.binCenter)} × scale ${fmt(f.scale)}) · cell ${fmt(f.value, 6)}`);
  }
  lines.push('');
  if (f.heads.length) {
    lines.push(`| head | strongest | attends to (${p ? 'patch' : 'line'}: weight) |`);
    lines.push('| --- | ---: | --- |');
    for (const h of f.heads) {
      const targets = h.targets
        .map((t) =>
          p
            ? `[patch ${t.position + 1}](${commandUri(HOVER_COMMANDS.revealLine, { uri: f.uri, line: t.line })} "Reveal line ${t.line + 1}: patch ${t.position + 1} is rows ${t.row + 1}–${(t.lastRow ?? t.row) + 1}"): ${t.weight.toFixed(3)}`
            : `[line ${t.line + 1}](${commandUri(HOVER_COMMANDS.revealLine, { uri: f.uri, line: t.line })} "Reveal line ${t.line + 1} (row ${t.row + 1}, position ${t.position + 1})"): ${t.weight.toFixed(3)}`,
        )
        .join(' · ');
      lines.push(`| L${h.layer}.H${h.head} | ${h.weight.toFixed(3)} | ${targets} |`);
    }
    lines.push('');
  }
  lines.push(`[$(graph-line) Open in Series View](${commandUri(HOVER_COMMANDS.openAt, { uri: f.uri, column: f.column, row: f.row })} "Open the series view of ${escapeMarkdown(f.column)} at row ${f.row + 1}")`);
  return lines.join('\n');
}
