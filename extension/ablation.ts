/**
 * Run Ablation…: a multi-step QuickPick (heads → method → data → control sets), the run under a
 * cancellable progress notification, the report panel, and the stored runs (reopen / compare).
 */
import * as vscode from 'vscode';
import { ATTENTION_KINDS, type HeadRef } from '../analysis/types';
import type { CsvSeries } from '../core/csv';
import { ChronosLensError, errorMessage } from '../core/errors';
import type { AnyModel } from '../models/load';
import type { AblationRunSummary } from '../protocol';
import { runAblationJob, type AblationRequest } from './lib/ablation-job';
import { describeHeads, formatHeadList, headId, HeadListError, KIND_NAMES, parseHeadList, rankHeads, sameHead, shapeOfModel, shapeOfMosaic, topHeads, type HeadShape } from './lib/heads';
import { loadCsvSeries, runLogText } from './lib/jobs';
import type { ColumnChoiceDeps } from './column-choice';
import { restoreTarget } from './lib/panel-store';
import type { ModelManager } from './lib/model-manager';
import type { RunStore, StoredRun } from './lib/run-store';
import type { AblationData, AblationMethod, Settings } from './lib/settings';
import { chooseCsvColumn, csvFromArgs } from './csv-choice';
import { inputText, pickMany, pickOne, runFlow } from './multistep';
import { AblationPanel, showRestoreFailure, type AblationPanelDeps, type LatestMosaic, type PanelDeps } from './panels';
import { activeCsvUri, csvTargetFor, withCancellableProgress, type JobRegistry } from './ui';

const TITLE = vscode.l10n.t('Chronos Lens: Run Ablation');
const TOTAL_STEPS = 4;

interface Plan {
  heads: HeadRef[];
  method: AblationMethod;
  data: AblationData;
  csv?: { uri: vscode.Uri; column?: string };
  controls: number;
}

type HeadsItem = vscode.QuickPickItem & { id: 'top' | 'list' | 'type' | 'set' | 'run'; runId?: string };

/** What Run Ablation… needs from the extension (the Controller provides it). */
export interface AblationDeps extends ColumnChoiceDeps {
  readonly log: vscode.LogOutputChannel;
  readonly jobs: JobRegistry;
  readonly models: Pick<ModelManager<AnyModel>, 'current' | 'use'>;
  readonly runs: RunStore;
  readonly settings: Pick<Settings, 'ablation'>;
  readonly ablationPanels: Set<AblationPanel>;
  readonly panelDeps: PanelDeps;
  /** Where a result opens (the results group). */
  resultsColumn(): vscode.ViewColumn;
  /** The latest mosaic (its heads and scores seed the head choice), also after its panel closed. */
  latestMosaic(): LatestMosaic | undefined;
  ablationSet(): HeadRef[];
  setAblationSet(heads: HeadRef[]): Promise<void>;
  report(what: string, e: unknown): void;
}

export class AblationController {
  constructor(private readonly c: AblationDeps) {}

  /** A Chronos-Bolt model reads patches: the data step offers its copy loss where Chronos-T5 has the induction loss. */
  async #isBolt(): Promise<boolean> {
    const { isBolt } = await import('../models/load');
    const m = this.c.models.current;
    return m ? isBolt(m) : this.c.models.use(async (model) => isBolt(model), { activity: vscode.l10n.t('reading the model') });
  }

  async #shape(): Promise<HeadShape> {
    const latest = this.c.latestMosaic();
    if (latest) return shapeOfMosaic(latest.result);
    const m = this.c.models.current;
    const cfg = m ? m.config : await this.c.models.use(async (model) => model.config, { activity: vscode.l10n.t('reading the model') });
    return shapeOfModel({ encoderLayers: cfg.t5.numLayers, decoderLayers: cfg.t5.numDecoderLayers, heads: cfg.t5.numHeads });
  }

  /**
   * The palette command. With an argument (scripts, keybindings, tests) it runs without asking:
   * `{ heads: "L3.H5, L4.H1", method?, data?, csv?, column?, controls? }`. Returns the stored run it
   * produced or opened.
   */
  async command(arg?: unknown): Promise<StoredRun | undefined> {
    if (arg && typeof arg === 'object' && !(arg instanceof vscode.Uri)) return this.run(await this.#planFromArgs(arg as Record<string, unknown>));
    const s = this.c.settings.ablation;
    const latest = this.c.latestMosaic();
    const plan: Partial<Plan> = { method: s.method, data: s.data, controls: s.controls };
    let openRunId: string | undefined;
    const { runs } = await this.c.runs.list();
    let shape: HeadShape | undefined;
    const getShape = async () => (shape ??= await this.#shape());

    const ok = await runFlow(
      {
        heads: async () => {
          const set = this.c.ablationSet();
          const items: HeadsItem[] = [];
          if (latest) {
            const r = latest.result;
            items.push({ id: 'top', label: vscode.l10n.t('$(list-ordered) Top-k heads of the latest mosaic'), description: `${KIND_NAMES[latest.kind]} · ${r.model.name}${r.protocol.series ? ` · ${r.protocol.series.file}` : ''}` });
          }
          items.push({ id: 'list', label: vscode.l10n.t('$(checklist) Pick heads from a list…') }, { id: 'type', label: vscode.l10n.t('$(edit) Type heads…'), description: vscode.l10n.t('e.g. L3.H5, L4.H1 (enc:L0.H1 for encoder heads)') });
          if (set.length) {
            items.push({
              id: 'set',
              label: vscode.l10n.t('$(bookmark) The ablation set'),
              description: describeHeads(set),
              buttons: [{ iconPath: new vscode.ThemeIcon('clear-all'), tooltip: vscode.l10n.t('Clear the ablation set') }],
            });
          }
          if (runs.length) {
            items.push({ id: 'run', label: vscode.l10n.t('Earlier runs'), kind: vscode.QuickPickItemKind.Separator });
            for (const r of runs.slice(0, 30)) items.push({ id: 'run', runId: r.id, label: `$(history) ${r.label}`, description: new Date(r.createdAt).toLocaleString() });
          }
          const pick = await pickOne<HeadsItem>({
            title: TITLE,
            step: 1,
            totalSteps: TOTAL_STEPS,
            placeholder: vscode.l10n.t('Which heads to ablate (or reopen an earlier run)'),
            items,
            onItemButton: (item, _b, qp) => {
              if (item.id !== 'set') return;
              void this.c.setAblationSet([]);
              qp.items = qp.items.filter((i) => i !== item);
            },
          });
          switch (pick.id) {
            case 'run':
              openRunId = pick.runId;
              return undefined;
            case 'set':
              plan.heads = this.c.ablationSet();
              return 'method';
            case 'top':
              return 'topK';
            case 'list':
              return 'list';
            case 'type':
              return 'type';
          }
        },
        topK: async () => {
          const r = latest!.result;
          const kind = latest!.kind;
          const total = (r[kind]?.layers ?? 0) * (r[kind]?.heads ?? 0);
          const v = await inputText({
            title: TITLE,
            step: 1,
            totalSteps: TOTAL_STEPS,
            prompt: vscode.l10n.t('How many of the {0} {1} heads, ranked by max(center, right) in the latest mosaic?', total, KIND_NAMES[kind]),
            value: String(Math.min(s.topK, total)),
            validate: (t) => (/^\s*\d+\s*$/.test(t) && Number(t) >= 1 && Number(t) <= total ? undefined : `A whole number from 1 to ${total}.`),
          });
          plan.heads = topHeads(r, kind, Number(v)).map(({ kind: k, layer, head }) => ({ kind: k, layer, head }));
          return 'method';
        },
        list: async () => {
          const sh = await getShape();
          const scores = latest?.result;
          type Item = vscode.QuickPickItem & { head?: HeadRef };
          const items: Item[] = [];
          for (const kind of ATTENTION_KINDS) {
            const k = sh[kind];
            if (!k) continue;
            items.push({ label: KIND_NAMES[kind], kind: vscode.QuickPickItemKind.Separator });
            const ranked = scores?.[kind] ? rankHeads(scores[kind]!, kind) : undefined;
            const order = ranked ?? Array.from({ length: k.layers * k.heads }, (_, i) => ({ kind, layer: Math.floor(i / k.heads), head: i % k.heads, center: NaN, right: NaN, score: NaN }));
            for (const h of order) {
              items.push({
                label: headId(h),
                description: Number.isFinite(h.score) ? vscode.l10n.t('center {0} · right {1}', h.center.toFixed(3), h.right.toFixed(3)) : undefined,
                head: { kind, layer: h.layer, head: h.head },
              });
            }
          }
          const preset = plan.heads ?? this.c.ablationSet();
          const picked = await pickMany<Item>({
            title: TITLE,
            step: 1,
            totalSteps: TOTAL_STEPS,
            placeholder: scores ? vscode.l10n.t('Heads, highest induction score first (Space toggles, Enter accepts)') : vscode.l10n.t('Heads (Space toggles, Enter accepts)'),
            items,
            selected: items.filter((i) => i.head && preset.some((h) => sameHead(h, i.head!))),
          });
          plan.heads = picked.flatMap((i) => (i.head ? [i.head] : []));
          return 'method';
        },
        type: async () => {
          const sh = await getShape();
          const v = await inputText({
            title: TITLE,
            step: 1,
            totalSteps: TOTAL_STEPS,
            prompt: vscode.l10n.t('Heads to ablate, zero-based: L<layer>.H<head>, comma-separated; cross-attention unless prefixed enc: or dec:'),
            placeholder: vscode.l10n.t('L3.H5, L4.H1, enc:L0.H2'),
            value: plan.heads ? formatHeadList(plan.heads) : '',
            validate: (t) => {
              try {
                parseHeadList(t, { shape: sh });
                return undefined;
              } catch (e) {
                return e instanceof HeadListError ? e.message : errorMessage(e);
              }
            },
          });
          plan.heads = parseHeadList(v, { shape: sh });
          return 'method';
        },
        method: async () => {
          type Item = vscode.QuickPickItem & { method: AblationMethod };
          const items: Item[] = [
            { method: 'zero', label: vscode.l10n.t('Zero ablation'), description: vscode.l10n.t('replace each head\'s output with zeros') },
            { method: 'mean', label: vscode.l10n.t('Mean ablation'), description: vscode.l10n.t('replace each head\'s output with its mean over a reference batch') },
          ];
          const pick = await pickOne<Item>({ title: TITLE, step: 2, totalSteps: TOTAL_STEPS, placeholder: vscode.l10n.t('Ablate {0} how?', describeHeads(plan.heads ?? [])), items, active: items.find((i) => i.method === plan.method) });
          plan.method = pick.method;
          return 'data';
        },
        data: async () => {
          const csvUri = activeCsvUri() ?? latest?.csv?.uri;
          const name = csvUri ? vscode.workspace.asRelativePath(csvUri) : undefined;
          type Item = vscode.QuickPickItem & { data: AblationData; choose?: boolean };
          // a Chronos-Bolt model reads patches: its copy loss on repeated random patches stands for the induction loss
          const bolt = await this.#isBolt();
          const items: Item[] = [
            bolt
              ? { data: 'inductionLoss', label: vscode.l10n.t('Copy loss'), description: vscode.l10n.t('repeated random patches, with a non-repeating control') }
              : { data: 'inductionLoss', label: vscode.l10n.t('Induction loss'), description: vscode.l10n.t('repeated random tokens, with a non-repeating control') },
            { data: 'csv', label: name ? vscode.l10n.t('Forecast metrics on {0}', name) : vscode.l10n.t('Forecast metrics on a CSV column…'), description: vscode.l10n.t('MASE, WQL, MAE of the median on the held-out tail'), choose: !name },
            bolt
              ? { data: 'both', label: name ? vscode.l10n.t('Both (copy loss and {0})', name) : vscode.l10n.t('Both (copy loss and a CSV column…)'), choose: !name }
              : { data: 'both', label: name ? vscode.l10n.t('Both (induction loss and {0})', name) : vscode.l10n.t('Both (induction loss and a CSV column…)'), choose: !name },
          ];
          const pick = await pickOne<Item>({ title: TITLE, step: 3, totalSteps: TOTAL_STEPS, placeholder: vscode.l10n.t('Measure the effect on…'), items, active: items.find((i) => i.data === plan.data) });
          plan.data = pick.data;
          if (pick.data === 'inductionLoss') {
            plan.csv = undefined;
            return 'controls';
          }
          plan.csv = await chooseCsvColumn(this.c, { title: TITLE, step: 3, totalSteps: TOTAL_STEPS, uri: pick.choose ? undefined : csvUri, dialogTitle: vscode.l10n.t('CSV for the forecast metrics') });
          return 'controls';
        },
        controls: async () => {
          const v = await inputText({
            title: TITLE,
            step: 4,
            totalSteps: TOTAL_STEPS,
            prompt: vscode.l10n.t('Random control sets of {0} head(s) each, to compare the ablated set with (0 for none)', plan.heads?.length ?? 0),
            value: String(plan.controls ?? s.controls),
            validate: (t) => (/^\s*\d+\s*$/.test(t) && Number(t) <= 10000 ? undefined : 'A whole number from 0 to 10000.'),
          });
          plan.controls = Number(v);
          return undefined;
        },
      },
      'heads',
    );
    if (!ok) return undefined;
    if (openRunId) return this.openRun(openRunId, { newPanel: true });
    return this.run(plan as Plan);
  }

  async #planFromArgs(a: Record<string, unknown>): Promise<Plan> {
    const s = this.c.settings.ablation;
    const bad = (what: string) => new ChronosLensError('BAD_INPUT', what);
    if (typeof a.heads !== 'string') throw bad(vscode.l10n.t('"heads" must be a head list such as "L3.H5, L4.H1"'));
    const heads = parseHeadList(a.heads, { shape: await this.#shape() });
    const method = a.method ?? s.method;
    if (method !== 'zero' && method !== 'mean') throw bad(vscode.l10n.t('"method" must be "zero" or "mean"'));
    const data = a.data ?? s.data;
    if (data !== 'inductionLoss' && data !== 'csv' && data !== 'both') throw bad(vscode.l10n.t('"data" must be "inductionLoss", "csv" or "both"'));
    const controls = a.controls ?? s.controls;
    if (typeof controls !== 'number' || !Number.isInteger(controls) || controls < 0) throw bad(vscode.l10n.t('"controls" must be a whole number >= 0'));
    const csv = data !== 'inductionLoss' ? csvFromArgs(a, `data "${data}"`) : undefined;
    return { heads, method, data, csv, controls };
  }

  /** "Ablate this head" from a mosaic: the configured defaults, no questions. */
  async runQuick(heads: HeadRef[], csv?: vscode.Uri): Promise<StoredRun | undefined> {
    const s = this.c.settings.ablation;
    let data = s.data;
    if (data !== 'inductionLoss' && !csv) data = 'inductionLoss';
    try {
      return await this.run({ heads, method: s.method, data, csv: data === 'inductionLoss' ? undefined : csv ? { uri: csv } : undefined, controls: s.controls });
    } catch (e) {
      this.c.report(vscode.l10n.t('Ablation'), e);
      return undefined;
    }
  }

  async run(plan: Plan): Promise<StoredRun> {
    if (plan.heads.length === 0) throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('no heads selected'));
    const s = this.c.settings.ablation;
    const label = plan.method === 'mean' ? vscode.l10n.t('mean ablation · {0}', describeHeads(plan.heads)) : vscode.l10n.t('zero ablation · {0}', describeHeads(plan.heads));
    const result = await withCancellableProgress(vscode.l10n.t('Chronos Lens: {0}', label), this.c.jobs, async (ctl) => {
      let series: CsvSeries | undefined;
      if (plan.csv && plan.data !== 'inductionLoss') {
        ctl.onProgress({ message: vscode.l10n.t('reading {0}', vscode.workspace.asRelativePath(plan.csv.uri)) });
        series = await loadCsvSeries((await csvTargetFor(plan.csv.uri)).source, { column: plan.csv.column, signal: ctl.signal });
      }
      const req: AblationRequest = { heads: plan.heads, method: plan.method, data: plan.data, controls: plan.controls, seed: s.seed, series, heldOut: s.heldOut };
      return this.c.models.use(async (model) => runAblationJob(model, req, ctl), {
        signal: ctl.signal,
        activity: label,
        onWaiting: () => ctl.onProgress({ message: vscode.l10n.t('waiting for the running analysis…') }),
      });
    });
    const run = await this.c.runs.save(result, { source: plan.csv?.uri.scheme === 'file' ? plan.csv.uri.fsPath : plan.csv?.uri.toString() });
    this.c.log.info(runLogText(`ablation ${run.id} · ${run.label}`, result.manifest, { heads: formatHeadList(result.heads), metrics: result.metrics.map((m) => ({ name: m.name, unablated: m.unablated, ablated: m.ablated, percentile: m.percentile, zScore: m.zScore })) }));
    await this.#show(run, { newPanel: false });
    return run;
  }

  async openRun(id: string, opts: { newPanel: boolean }): Promise<StoredRun> {
    const run = await this.c.runs.load(id);
    await this.#show(run, opts);
    return run;
  }

  /** An ablation report VS Code brings back after a window reload: the run its page state names, from the run store. */
  async restore(panel: vscode.WebviewPanel, pageState: unknown): Promise<void> {
    const target = restoreTarget('ablation', pageState);
    let run: StoredRun;
    let runs: AblationRunSummary[];
    try {
      if (target?.view !== 'ablation') throw new Error('its saved state names no ablation run');
      [run, { runs }] = await Promise.all([this.c.runs.load(target.runId), this.c.runs.list()]);
    } catch (e) {
      this.c.log.warn(`an ablation report was not restored after the reload: ${errorMessage(e)}`);
      showRestoreFailure(panel, 'ablation report', errorMessage(e), 'Run Chronos Lens: Run Ablation… again, or open another stored run from a report.');
      return;
    }
    this.c.ablationPanels.add(
      new AblationPanel(this.c.panelDeps, this.#store(), run, runs.some((r) => r.id === run.id) ? runs : [{ id: run.id, label: run.label, createdAt: run.createdAt }, ...runs], { restored: panel }),
    );
    this.c.log.info(`restored the ablation report of run ${run.id} after the reload`);
  }

  #store(): AblationPanelDeps {
    return { listRuns: async () => (await this.c.runs.list()).runs, loadRun: (i) => this.c.runs.load(i) };
  }

  async #show(run: StoredRun, opts: { newPanel: boolean }): Promise<void> {
    const { runs, problems } = await this.c.runs.list();
    for (const p of problems) this.c.log.warn(`stored ablation run skipped: ${p}`);
    const list: AblationRunSummary[] = runs.some((r) => r.id === run.id) ? runs : [{ id: run.id, label: run.label, createdAt: run.createdAt }, ...runs];
    const reuse = opts.newPanel ? undefined : [...this.c.ablationPanels].filter((p) => !p.disposed).pop();
    if (reuse) {
      reuse.show(run, list);
      reuse.reveal(false);
      return;
    }
    const panel = new AblationPanel(this.c.panelDeps, this.#store(), run, list, {
      column: this.c.resultsColumn(),
    });
    this.c.ablationPanels.add(panel);
  }
}
