/**
 * Attribute Forecast…, Patch Activations… and Ablate Layers…: multi-step QuickPicks (CSV and column,
 * forecast step, target, corruption, maps, layer sets), the run under a cancellable progress
 * notification on the model's worker sessions, its manifest in the output channel, and the
 * residual-stream panel that shows it. Also the shortcuts: "Attribute this step" (series view) and
 * "Patch this head" (mosaic cells).
 */
import * as vscode from 'vscode';
import type { AttributionTarget, HeadRef, LayerPart, LayerRef, LayerStack, Manifest, PatchMapKind } from '../analysis/types';
import type { CsvSeries } from '../core/csv';
import { ChronosLensError } from '../core/errors';
import type { AnyModel } from '../models/load';
import type { ChronosModel } from '../models/model';
import type { CausalFigure, CausalRun } from '../protocol';
import { CausalPanel } from './causal-panel';
import type { ColumnChoiceDeps } from './column-choice';
import { chooseCsvColumn, csvFromArgs, type CsvChoice } from './csv-choice';
import { ATTRIBUTION_TARGETS, PATCH_MAPS, runAttributionJob, runLayerAblationJob, runPatchJob, SERIES_CORRUPTIONS, type SeriesCorruption } from './lib/causal-job';
import { formatHeadList } from './lib/heads';
import { loadCsvSeries, runLogText, t5Model } from './lib/jobs';
import type { ModelManager } from './lib/model-manager';
import type { Settings } from './lib/settings';
import { inputText, pickMany, pickOne, runFlow } from './multistep';
import type { PanelDeps } from './panels';
import { activeCsvUri, csvTargetFor, isCsvUri, withCancellableProgress, type JobRegistry } from './ui';

/** What the causal commands need from the extension (the Controller provides it). */
export interface CausalDeps extends ColumnChoiceDeps {
  readonly log: vscode.LogOutputChannel;
  readonly jobs: JobRegistry;
  readonly models: Pick<ModelManager<AnyModel>, 'current' | 'use'>;
  readonly settings: Pick<Settings, 'ablation'>;
  readonly causalPanels: Set<CausalPanel>;
  readonly panelDeps: PanelDeps;
  /** Where a result opens (the results group). */
  resultsColumn(): vscode.ViewColumn;
  report(what: string, e: unknown): void;
}

interface ModelShape {
  name: string;
  predictionLength: number;
  layers: Record<LayerStack, number>;
}

type Args = Record<string, unknown>;

/** The command each figure comes from, for the one-line refusal of a model the editor cannot run it on. */
const WHAT: Record<CausalFigure, string> = { attribution: vscode.l10n.t('Attribute Forecast'), layerLens: vscode.l10n.t('Attribute Forecast'), patching: vscode.l10n.t('Patch Activations'), layerAblation: vscode.l10n.t('Ablate Layers') };

const isArgs = (arg: unknown): arg is Args => !!arg && typeof arg === 'object' && !(arg instanceof vscode.Uri);
const bad = (what: string) => new ChronosLensError('BAD_INPUT', what);

function wholeNumber(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(vscode.l10n.t('"{0}" must be a whole number from {1} to {2}', name, min, max));
  return v;
}

function oneOfArg<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw bad(vscode.l10n.t('"{0}" must be one of {1}', name, allowed.join(', ')));
  return v as T;
}

export class CausalController {
  constructor(private readonly c: CausalDeps) {}

  /** The selected model's shape; a Chronos-Bolt model is refused here, before any question, in one line. */
  async #shape(what: string): Promise<ModelShape> {
    const m = this.c.models.current;
    const t5 = m ? await t5Model(m, what) : await this.c.models.use(async (model) => t5Model(model, what), { activity: vscode.l10n.t('reading the model') });
    const cfg = t5.config;
    return { name: t5.name, predictionLength: cfg.chronos.predictionLength, layers: { encoder: cfg.t5.numLayers, decoder: cfg.t5.numDecoderLayers } };
  }

  /** A Uri argument (explorer, editor title) or the active CSV editor: the file, with no question asked. */
  #givenCsv(arg: unknown): vscode.Uri | undefined {
    if (arg instanceof vscode.Uri) {
      if (!isCsvUri(arg)) throw bad(vscode.l10n.t('{0} is not a .csv or .tsv file', arg.path));
      return arg;
    }
    return activeCsvUri();
  }

  // --- Attribute Forecast… ------------------------------------------------------------------

  /**
   * The palette command. With an argument (scripts, tests, the series view) it runs without asking:
   * `{ csv, column?, step?, target? }`. Returns the run it showed.
   */
  async attribute(arg?: unknown): Promise<CausalRun | undefined> {
    const title = vscode.l10n.t('Chronos Lens: Attribute Forecast');
    if (isArgs(arg)) {
      const csv = csvFromArgs(arg, WHAT.attribution);
      const shape = await this.#shape(WHAT.attribution);
      const step = arg.step === undefined ? 0 : wholeNumber(arg.step, 'step', 0, shape.predictionLength - 1);
      const target = arg.target === undefined ? 'logit' : oneOfArg(arg.target, 'target', ATTRIBUTION_TARGETS);
      return this.runAttribution(csv, step, target);
    }
    const given = this.#givenCsv(arg);
    let csv: CsvChoice | undefined;
    let step = 0;
    let target: AttributionTarget = 'logit';
    const ok = await runFlow(
      {
        csv: async () => {
          csv = await chooseCsvColumn(this.c, { title, step: 1, totalSteps: 3, uri: given, dialogTitle: vscode.l10n.t('CSV to forecast and attribute') });
          return 'step';
        },
        step: async () => {
          const pl = (await this.#shape(WHAT.attribution)).predictionLength;
          const v = await inputText({
            title,
            step: 2,
            totalSteps: 3,
            prompt: vscode.l10n.t('Forecast step to attribute, 0-based (0 is the first forecast point; the model forecasts {0} at once)', pl),
            value: String(step),
            validate: (t) => (/^\s*\d+\s*$/.test(t) && Number(t) < pl ? undefined : `A whole number from 0 to ${pl - 1}.`),
          });
          step = Number(v);
          return 'target';
        },
        target: async () => {
          type Item = vscode.QuickPickItem & { target: AttributionTarget };
          const items: Item[] = [
            { target: 'logit', label: vscode.l10n.t('Logit of the median token'), description: vscode.l10n.t('the parts sum to the logit exactly') },
            { target: 'logprob', label: vscode.l10n.t('Log-probability of the median token'), description: vscode.l10n.t('the logit parts plus the frozen normaliser') },
            { target: 'expected', label: vscode.l10n.t('Expected value (series units)'), description: vscode.l10n.t('linearised with the probabilities frozen') },
          ];
          target = (await pickOne<Item>({ title, step: 3, totalSteps: 3, placeholder: vscode.l10n.t('Attribute what at step {0}?', step), items, active: items.find((i) => i.target === target) })).target;
          return undefined;
        },
      },
      'csv',
    );
    if (!ok || !csv) return undefined;
    return this.runAttribution(csv, step, target);
  }

  /** "Attribute this step" (the series view): the logit at `step` of the column shown. */
  async attributeStep(uri: vscode.Uri, column: string | undefined, step: number): Promise<CausalRun | undefined> {
    try {
      return await this.runAttribution({ uri, column }, step, 'logit');
    } catch (e) {
      this.c.report(vscode.l10n.t('Attribute this step'), e);
      return undefined;
    }
  }

  async runAttribution(csv: CsvChoice, step: number, target: AttributionTarget): Promise<CausalRun> {
    const name = vscode.workspace.asRelativePath(csv.uri);
    return this.#run(vscode.l10n.t('attribution · {0} · step {1}', name, step), csv, 'attribution', async (model, ctl, series) => runAttributionJob(model, { series: series!, step, target }, ctl));
  }

  // --- Patch Activations… -------------------------------------------------------------------

  /**
   * The palette command. With an argument it runs without asking: `{ csv?, column?, corrupt?, steps?,
   * pairs?, maps?, heads? }` (no csv: the repeated-token protocol; heads: "cross:L1.H2, …").
   */
  async patch(arg?: unknown): Promise<CausalRun | undefined> {
    const title = vscode.l10n.t('Chronos Lens: Patch Activations');
    if (isArgs(arg)) {
      const csv = arg.csv !== undefined ? csvFromArgs(arg, WHAT.patching) : undefined;
      const corrupt = arg.corrupt === undefined ? 'shift' : oneOfArg(arg.corrupt, 'corrupt', SERIES_CORRUPTIONS);
      const steps = arg.steps === undefined ? 8 : wholeNumber(arg.steps, 'steps', 1, (await this.#shape(WHAT.patching)).predictionLength);
      const pairs = arg.pairs === undefined ? 20 : wholeNumber(arg.pairs, 'pairs', 1, 1000);
      let maps: PatchMapKind[] = ['heads', 'resid'];
      if (arg.maps !== undefined) {
        if (!Array.isArray(arg.maps)) throw bad(vscode.l10n.t('"maps" must be a list of {0}', PATCH_MAPS.join(', ')));
        maps = arg.maps.map((m) => oneOfArg(m, 'maps[]', PATCH_MAPS));
      }
      let heads: HeadRef[] | undefined;
      if (arg.heads !== undefined) {
        if (typeof arg.heads !== 'string') throw bad(vscode.l10n.t('"heads" must be a head list such as "cross:L1.H2, enc:L0.H1"'));
        const { parseHeads, headGrid } = await import('../analysis/heads');
        const cfg = (await this.c.models.use(async (m) => t5Model(m, WHAT.patching), { activity: vscode.l10n.t('reading the model') })).config;
        heads = parseHeads(arg.heads, headGrid(cfg));
      }
      return this.runPatch({ csv, corrupt, steps, pairs, maps, heads });
    }
    const given = arg instanceof vscode.Uri ? this.#givenCsv(arg) : activeCsvUri();
    const plan: { csv?: CsvChoice; corrupt: SeriesCorruption; steps: number; pairs: number; maps: PatchMapKind[] } = { corrupt: 'shift', steps: 8, pairs: 20, maps: ['heads', 'resid'] };
    const ok = await runFlow(
      {
        inputs: async () => {
          type Item = vscode.QuickPickItem & { id: 'tokens' | 'csv' | 'choose' };
          const name = given ? vscode.workspace.asRelativePath(given) : undefined;
          const items: Item[] = [
            { id: 'tokens', label: vscode.l10n.t('Repeated random tokens'), description: vscode.l10n.t('clean: a repeated sequence; corrupted: the same prefix before fresh tokens (induction)') },
            ...(name ? [{ id: 'csv' as const, label: vscode.l10n.t('A window of {0}', name), description: vscode.l10n.t('clean: the last context window; corrupted: a corruption of it') }] : []),
            { id: 'choose', label: vscode.l10n.t('A window of a CSV column…') },
          ];
          const pick = await pickOne<Item>({ title, step: 1, totalSteps: 3, placeholder: vscode.l10n.t('Clean and corrupted inputs'), items });
          if (pick.id === 'tokens') {
            plan.csv = undefined;
            return 'maps';
          }
          plan.csv = await chooseCsvColumn(this.c, { title, step: 1, totalSteps: 3, uri: pick.id === 'csv' ? given : undefined, dialogTitle: vscode.l10n.t('CSV to patch') });
          return 'corrupt';
        },
        corrupt: async () => {
          type Item = vscode.QuickPickItem & { corrupt: SeriesCorruption };
          const items: Item[] = [
            { corrupt: 'shift', label: vscode.l10n.t('Shifted phase'), description: vscode.l10n.t('the window ending half a period earlier') },
            { corrupt: 'noise', label: vscode.l10n.t('Added noise'), description: vscode.l10n.t('Gaussian, half the window’s standard deviation (seeded)') },
            { corrupt: 'spike', label: vscode.l10n.t('Removed spike'), description: vscode.l10n.t('the point farthest from the median replaced by its neighbours’ mean') },
            { corrupt: 'swap', label: vscode.l10n.t('Swapped repeat'), description: vscode.l10n.t('the last two periods swapped') },
          ];
          plan.corrupt = (await pickOne<Item>({ title, step: 2, totalSteps: 3, placeholder: vscode.l10n.t('Corrupted input'), items, active: items.find((i) => i.corrupt === plan.corrupt) })).corrupt;
          return 'maps';
        },
        maps: async () => {
          type Item = vscode.QuickPickItem & { map: PatchMapKind };
          const items: Item[] = [
            { map: 'heads', label: vscode.l10n.t('Layer × head'), description: vscode.l10n.t('each head’s output at every position') },
            { map: 'resid', label: vscode.l10n.t('Layer × position'), description: vscode.l10n.t('the residual stream entering each layer, one position at a time') },
            { map: 'headPos', label: vscode.l10n.t('Head × position'), description: vscode.l10n.t('each head at each position (the most runs)') },
          ];
          const picked = await pickMany<Item>({ title, step: 3, totalSteps: 3, placeholder: vscode.l10n.t('Heat maps to compute (Space toggles, Enter accepts)'), items, selected: items.filter((i) => plan.maps.includes(i.map)) });
          if (!picked.length) throw bad(vscode.l10n.t('choose at least one heat map to patch'));
          plan.maps = picked.map((i) => i.map);
          return undefined;
        },
      },
      'inputs',
    );
    if (!ok) return undefined;
    return this.runPatch(plan);
  }

  /** "Patch this head" (a mosaic cell): every head's map on the repeated-token protocol, with this head patched alone too and outlined. */
  async patchHead(head: HeadRef): Promise<CausalRun | undefined> {
    try {
      return await this.runPatch({ corrupt: 'shift', steps: 8, pairs: 20, maps: ['heads'], heads: [head] });
    } catch (e) {
      this.c.report(vscode.l10n.t('Patch this head'), e);
      return undefined;
    }
  }

  async runPatch(p: { csv?: CsvChoice; corrupt: SeriesCorruption; steps: number; pairs: number; maps: PatchMapKind[]; heads?: HeadRef[] }): Promise<CausalRun> {
    const what = p.csv ? vscode.l10n.t('patching · {0} · {1}', vscode.workspace.asRelativePath(p.csv.uri), p.corrupt) : vscode.l10n.t('patching · repeated tokens');
    return this.#run(what, p.csv, 'patching', async (model, ctl, series) => runPatchJob(model, { series, corrupt: p.corrupt, steps: p.steps, pairs: p.pairs, maps: p.maps, heads: p.heads }, ctl));
  }

  // --- Ablate Layers… -----------------------------------------------------------------------

  /**
   * The palette command. With an argument it runs without asking: `{ layers?: "encoder:L0, decoder:L1.ff"
   * | sweep?: "all" | "attention" | "self" | "cross" | "ff", stacks?, data?: "inductionLoss" | "csv" |
   * "both", csv?, column? }` (default: a sweep of whole layers on the induction loss).
   */
  async ablateLayers(arg?: unknown): Promise<CausalRun | undefined> {
    const title = vscode.l10n.t('Chronos Lens: Ablate Layers');
    const PARTS: readonly LayerPart[] = ['all', 'attention', 'self', 'cross', 'ff'];
    const DATA = ['inductionLoss', 'csv', 'both'] as const;
    type Data = (typeof DATA)[number];
    if (isArgs(arg)) {
      let sets: LayerRef[][] | undefined;
      let sweep: LayerPart | undefined;
      if (arg.layers !== undefined) {
        if (typeof arg.layers !== 'string') throw bad(vscode.l10n.t('"layers" must be a layer set such as "encoder:L0, decoder:L1.ff"'));
        const { parseLayers } = await import('../analysis/causal/layer-ablation');
        sets = [parseLayers(arg.layers, (await this.#shape(WHAT.layerAblation)).layers)];
      } else sweep = arg.sweep === undefined ? 'all' : oneOfArg(arg.sweep, 'sweep', PARTS);
      const stacks = arg.stacks === undefined ? (['encoder', 'decoder'] as LayerStack[]) : (Array.isArray(arg.stacks) ? arg.stacks : [arg.stacks]).map((s) => oneOfArg(s, 'stacks', ['encoder', 'decoder'] as const));
      const data: Data = arg.data === undefined ? 'inductionLoss' : oneOfArg(arg.data, 'data', DATA);
      const csv = data !== 'inductionLoss' ? csvFromArgs(arg, `data "${data}"`) : undefined;
      return this.runLayers({ sets, sweep, stacks, inductionLoss: data !== 'csv', csv });
    }
    const given = this.#givenCsv(arg);
    const plan: { sets?: LayerRef[][]; sweep?: LayerPart; inductionLoss: boolean; csv?: CsvChoice } = { sweep: 'all', inductionLoss: true };
    const ok = await runFlow(
      {
        layers: async () => {
          type Item = vscode.QuickPickItem & { sweep?: LayerPart };
          const items: Item[] = [
            { sweep: 'all', label: vscode.l10n.t('Sweep: each layer in turn'), description: vscode.l10n.t('skip one whole layer at a time (the residual passes through)') },
            { sweep: 'attention', label: vscode.l10n.t('Sweep: each layer’s attention') },
            { sweep: 'cross', label: vscode.l10n.t('Sweep: each decoder layer’s cross-attention') },
            { sweep: 'ff', label: vscode.l10n.t('Sweep: each layer’s feed-forward block') },
            { label: vscode.l10n.t('$(edit) Type a layer set…'), description: vscode.l10n.t('e.g. encoder:L0, decoder:L1.ff') },
          ];
          const pick = await pickOne<Item>({ title, step: 1, totalSteps: 2, placeholder: vscode.l10n.t('Which layers to skip'), items });
          if (pick.sweep) {
            plan.sweep = pick.sweep;
            plan.sets = undefined;
            return 'data';
          }
          return 'type';
        },
        type: async () => {
          const counts = (await this.#shape(WHAT.layerAblation)).layers;
          const { parseLayers } = await import('../analysis/causal/layer-ablation');
          const v = await inputText({
            title,
            step: 1,
            totalSteps: 2,
            prompt: vscode.l10n.t('Layers to skip together, zero-based: <stack>:L<layer>[.attention|.self|.cross|.ff] (encoder has {0}, decoder {1})', counts.encoder, counts.decoder),
            placeholder: vscode.l10n.t('encoder:L0, decoder:L1.ff'),
            validate: (t) => {
              try {
                parseLayers(t, counts);
                return undefined;
              } catch (e) {
                return (e as Error).message;
              }
            },
          });
          plan.sets = [parseLayers(v, counts)];
          plan.sweep = undefined;
          return 'data';
        },
        data: async () => {
          const name = given ? vscode.workspace.asRelativePath(given) : undefined;
          type Item = vscode.QuickPickItem & { data: Data; choose?: boolean };
          const items: Item[] = [
            { data: 'inductionLoss', label: vscode.l10n.t('Induction loss'), description: vscode.l10n.t('repeated random tokens, with a non-repeating control') },
            { data: 'csv', label: name ? vscode.l10n.t('Forecast metrics on {0}', name) : vscode.l10n.t('Forecast metrics on a CSV column…'), description: vscode.l10n.t('MASE, WQL, MAE of the median on the held-out tail'), choose: !name },
            { data: 'both', label: name ? vscode.l10n.t('Both (induction loss and {0})', name) : vscode.l10n.t('Both (induction loss and a CSV column…)'), choose: !name },
          ];
          const pick = await pickOne<Item>({ title, step: 2, totalSteps: 2, placeholder: vscode.l10n.t('Measure the effect on…'), items });
          plan.inductionLoss = pick.data !== 'csv';
          plan.csv = pick.data === 'inductionLoss' ? undefined : await chooseCsvColumn(this.c, { title, step: 2, totalSteps: 2, uri: pick.choose ? undefined : given, dialogTitle: vscode.l10n.t('CSV for the forecast metrics') });
          return undefined;
        },
      },
      'layers',
    );
    if (!ok) return undefined;
    return this.runLayers({ ...plan, stacks: ['encoder', 'decoder'] });
  }

  async runLayers(p: { sets?: LayerRef[][]; sweep?: LayerPart; stacks: LayerStack[]; inductionLoss: boolean; csv?: CsvChoice }): Promise<CausalRun> {
    const s = this.c.settings.ablation;
    const what = p.sweep !== undefined ? vscode.l10n.t('layer sweep ({0})', p.sweep) : vscode.l10n.t('layer ablation');
    return this.#run(what, p.csv, 'layerAblation', async (model, ctl, series) =>
      runLayerAblationJob(model, { sets: p.sets, sweep: p.sweep, stacks: p.stacks, inductionLoss: p.inductionLoss, series, heldOut: s.heldOut, seed: s.seed }, ctl),
    );
  }

  // --- shared -------------------------------------------------------------------------------

  async #run(label: string, csv: CsvChoice | undefined, figure: CausalFigure, job: (model: ChronosModel, ctl: { signal: AbortSignal; onProgress: (u: { fraction?: number; message?: string }) => void }, series: CsvSeries | undefined) => Promise<CausalRun>): Promise<CausalRun> {
    const run = await withCancellableProgress(vscode.l10n.t('Chronos Lens: {0}', label), this.c.jobs, async (ctl) => {
      let series: CsvSeries | undefined;
      if (csv) {
        ctl.onProgress({ message: vscode.l10n.t('reading {0}', vscode.workspace.asRelativePath(csv.uri)) });
        series = await loadCsvSeries((await csvTargetFor(csv.uri)).source, { column: csv.column, signal: ctl.signal });
      }
      return this.c.models.use(async (model) => job(await t5Model(model, WHAT[figure]), ctl, series), { signal: ctl.signal, activity: label, onWaiting: () => ctl.onProgress({ message: vscode.l10n.t('waiting for the running analysis…') }) });
    });
    this.#logRun(run);
    this.#show({ run, figure, csv: csv?.uri });
    return run;
  }

  /** The run manifest of every part, in the output channel. */
  #logRun(run: CausalRun): void {
    const parts: [string, { manifest: Manifest } | undefined, Record<string, unknown>][] = [
      ['attribution', run.attribution, run.attribution ? { target: run.attribution.target.kind, step: run.attribution.target.step, total: run.attribution.total } : {}],
      ['layer lens', run.layerLens, run.layerLens ? { steps: run.layerLens.steps, layers: run.layerLens.layers.length } : {}],
      ['patching', run.patching, run.patching ? { description: run.patching.description, clean: run.patching.clean, corrupted: run.patching.corrupted, ...(run.marked ? { heads: formatHeadList(run.marked) } : {}) } : {}],
      ['layer ablation', run.layerAblation, run.layerAblation ? { unablated: run.layerAblation.unablated, variants: run.layerAblation.variants.map((v) => ({ label: v.label, ...v.values })) } : {}],
    ];
    for (const [what, r, extra] of parts) if (r) this.c.log.info(runLogText(`${what} · ${run.label}`, r.manifest, extra));
  }

  #show(state: { run: CausalRun; figure: CausalFigure; csv?: vscode.Uri }): void {
    const reuse = [...this.c.causalPanels].filter((p) => !p.disposed).pop();
    if (reuse) {
      reuse.show(state);
      reuse.reveal(false);
      return;
    }
    this.c.causalPanels.add(new CausalPanel(this.c.panelDeps, state, { column: this.c.resultsColumn() }));
  }
}
