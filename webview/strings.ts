/**
 * The webviews' user-visible text, in one module: the views' fixed labels, headings, empty states and
 * buttons are read from STRINGS (English only for now; a translation replaces this table, keeping the
 * keys and the {0}, {1}… placeholders, filled by `format` as vscode.l10n.t fills the host's messages).
 * Numbers and names that come with the data (model names, metric values, a run's label) are not here.
 */
export const STRINGS = {
  export: {
    label: 'Export',
    svg: 'Export the figure as SVG (vector)',
    png: 'Export the figure as PNG (2× resolution)',
    json: 'Export a Plotly-compatible figure (JSON)',
    csv: 'Export the numbers as CSV',
  },
  banner: {
    dismiss: 'Dismiss',
  },
  provenance: {
    summary: 'Provenance',
    model: 'Model',
    modelShape: '{0} ({1}+{2} layers × {3} heads)',
    modelHash: 'Model hash',
    command: 'Command',
    seeds: 'Seeds',
    parameters: 'Parameters',
    executionProvider: 'Execution provider',
    versions: 'Versions',
    versionsValue: 'chronos-lens {0}, onnxruntime {1}, node {2}, graph builder {3}',
    created: 'Created',
  },
  ablation: {
    empty: 'No ablation run yet. Run “Chronos Lens: Run Ablation…” from the command palette.',
    heading: 'Head ablation · {0}',
    run: 'Run',
    data: 'Data: {0}.',
    chart: 'Ablated set against the control distribution, per metric',
    meanReference: 'Mean reference',
    meanReferenceValue: 'batch {0}, seed {1}',
    meanReferenceBolt:
      "each head's mean output on the series' context (else the first copy-loss context), unablated (encoder: over its patches and [REG]; decoder and cross: the one decoder token)",
  },
  causal: {
    empty: 'No run yet. Run “Chronos Lens: Attribute Forecast…”, “Patch Activations…” or “Ablate Layers…” from the command palette.',
    heading: 'Residual stream · {0}',
    figures: 'Figures',
    chartRole: 'chart',
    plot: '{0}: arrow keys step through the marks',
  },
  atlas: {
    empty: 'No atlas yet. Run “Chronos Lens: Open Sweep Atlas…” and pick a sweep folder or an atlas.json.',
    heading: 'Sweep atlas · {0}',
    opensManifests: 'Every number opens its task’s manifest.',
    table: '{0}: table',
  },
} as const;

/** `template` with {0}, {1}… replaced by the arguments (a placeholder without an argument stays). */
export function format(template: string, ...args: (string | number)[]): string {
  return template.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}
