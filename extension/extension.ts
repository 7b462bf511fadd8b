/**
 * Chronos Lens for VS Code: activation and the extension's API. Activation is cheap: it registers
 * the commands, the status bar and the output channel; the model runtime (and onnxruntime-node) is
 * imported on the first command that needs a model.
 */
import type * as vscode from 'vscode';
import { ATTENTION_KINDS, type HeadRef } from '../analysis/types';
import { CAUSAL_FIGURES } from '../protocol/causal';
import { Controller } from './controller';
import type { ModelState } from './lib/model-manager';
import type { SeriesViewInfo } from './series-view';

export interface PanelInfo {
  view: 'mosaic' | 'ablation' | 'causal';
  title: string;
  ready: boolean;
  readyCount: number;
  /** Types of the messages posted to the page, oldest first (last 50). */
  posted: string[];
  active: boolean;
  /** Mosaic panels. */
  key?: string;
  variant?: 'reference' | 'data';
  layers?: number;
  heads?: number;
  kinds?: string[];
  kind?: string;
  /** Ablation panels. */
  runId?: string;
  /** Residual-stream panels: the run's label and the figures it has. */
  label?: string;
  figures?: string[];
}

/** What `vscode.extensions.getExtension('chronos-lens.chronos-lens').exports` gives. */
export interface ChronosLensApi {
  readonly apiVersion: 1;
  /** Introspection for the in-host tests and for scripts. */
  readonly inspect: {
    panels(): PanelInfo[];
    modelState(): ModelState;
    ablationSet(): HeadRef[];
    runningJobs(): number;
    /** Cancels every running job, as the progress notification's Cancel does. */
    cancelAll(): number;
    lastError(): string | undefined;
    /** Whether onnxruntime-node (bundled, or a staged GPU copy) has been loaded into the extension host. */
    runtimeLoaded(): boolean;
    /** The folder of the extension's log files (the "Chronos Lens" output channel writes there). */
    logFolder(): string;
    /** Select Model…'s QuickPick while it is open: its entries (separators as `---`), the active one, busy while scanning the cache. */
    modelPicker(): { items: { label: string; description?: string }[]; active?: string; busy: boolean } | undefined;
    /** The folders the extension keeps: the built-graph cache root and GPU support. */
    storage(): { graphCache: string; gpu: string };
    /** Open series views (the CSV custom editor). */
    seriesViews(): SeriesViewInfo[];
    /** The latest mosaic (Run Ablation…'s "Top-k heads of the latest mosaic"), also after its panels closed. */
    latestMosaic(): { model: string; kind: string; variant: 'reference' | 'data' } | undefined;
    /** The context keys the extension sets (chronosLens.gpu, chronosLens.gpuSupport, chronosLens.hubToken), once known. */
    contextKeys(): Promise<Record<string, string>>;
    /** The status bar item's text and tooltip (Markdown). */
    statusBar(): { text: string; tooltip: string };
  };
}

let controller: Controller | undefined;

export function activate(context: vscode.ExtensionContext): ChronosLensApi {
  const c = new Controller(context);
  controller = c;
  c.log.info(`Chronos Lens ${(context.extension.packageJSON as { version?: string }).version ?? ''} activated (extension host ${process.platform}-${process.arch}, node ${process.version})`);
  return {
    apiVersion: 1,
    inspect: {
      panels: () => {
        const out: PanelInfo[] = [];
        for (const p of c.mosaicPanels.values()) {
          if (p.disposed) continue;
          const r = p.state.result;
          out.push({
            view: 'mosaic',
            title: p.panel.title,
            ready: p.ready,
            readyCount: p.readyCount,
            posted: [...p.posted],
            active: p.panel.active,
            key: p.key,
            variant: p.state.variant,
            layers: r.layers,
            heads: r.heads,
            kinds: ATTENTION_KINDS.filter((k) => r[k]),
            kind: p.kind,
          });
        }
        for (const p of c.ablationPanels) {
          if (p.disposed) continue;
          out.push({ view: 'ablation', title: p.panel.title, ready: p.ready, readyCount: p.readyCount, posted: [...p.posted], active: p.panel.active, runId: p.run.id });
        }
        for (const p of c.causalPanels) {
          if (p.disposed) continue;
          const r = p.state.run;
          out.push({ view: 'causal', title: p.panel.title, ready: p.ready, readyCount: p.readyCount, posted: [...p.posted], active: p.panel.active, label: r.label, figures: CAUSAL_FIGURES.filter((f) => r[f] !== undefined) });
        }
        return out;
      },
      modelState: () => c.modelState,
      ablationSet: () => c.ablationSet(),
      runningJobs: () => c.jobs.size,
      cancelAll: () => c.jobs.cancelAll(),
      lastError: () => c.lastError,
      runtimeLoaded: () => Object.keys(require.cache).some((k) => /[\\/](onnxruntime-node|onnxruntime-gpu-[^\\/]+)[\\/]/.test(k)),
      logFolder: () => context.logUri.fsPath,
      modelPicker: () => {
        const qp = c.modelPicker;
        if (!qp) return undefined;
        const items = qp.items.map((i) => ({ label: i.kind === -1 /* QuickPickItemKind.Separator */ ? '---' : i.label, description: i.description }));
        return { items, active: qp.activeItems[0]?.label, busy: qp.busy };
      },
      storage: () => ({ graphCache: context.globalStorageUri.fsPath, gpu: c.gpuDir }),
      seriesViews: () => c.seriesViews.info(),
      contextKeys: async () => {
        await c.contextReady;
        return Object.fromEntries(c.contextKeys);
      },
      statusBar: () => {
        const t = c.status.item.tooltip;
        return { text: c.status.item.text, tooltip: typeof t === 'string' ? t : (t?.value ?? '') };
      },
      latestMosaic: () => {
        const m = c.latestMosaic();
        return m && { model: m.result.model.name, kind: m.kind, variant: m.result.protocol.series ? 'data' : 'reference' };
      },
    },
  };
}

export async function deactivate(): Promise<void> {
  const c = controller;
  controller = undefined;
  await c?.dispose();
  // Stops the ONNX Runtime worker thread, if a model ever ran.
  await (await import('../models/runtime/worker-session')).shutdownOrtWorker();
}
