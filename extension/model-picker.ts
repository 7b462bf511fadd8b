/**
 * Select Model… (the bundled model; Amazon's Chronos-T5 and Chronos-Bolt models, downloaded into the shared Hugging Face
 * cache when they are not there yet; every Chronos checkpoint already in that cache, used in place; any
 * checkpoint folder) and Show Model Info (with the execution provider, GPU support and the CUDA runtime).
 */
import * as vscode from 'vscode';
import type { ModelSummary } from '../analysis/types';
import { ChronosLensError } from '../core/errors';
import type { AnyModel } from '../models/load';
import { describeGpu, gpuInfo, type GpuInfo } from './gpu';
import type { HubAccess } from './hub';
import type { ModelPickEntry } from './lib/model-items';
import type { ModelManager } from './lib/model-manager';
import { BUNDLED_MODEL_NAME, bundledModelDir, isBundled, parseRepoSpec } from '../models/source';
import { SECTION, type Settings } from './lib/settings';
import { withCancellableProgress, type JobRegistry } from './ui';

/** What Select Model… and Show Model Info need from the extension (the Controller provides it). */
export interface ModelPickerDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly hub: Pick<HubAccess, 'download'>;
  readonly settings: Pick<Settings, 'model'>;
  readonly jobs: JobRegistry;
  readonly models: Pick<ModelManager<AnyModel>, 'use'>;
  /** Select Model…'s QuickPick while it is open (the in-host tests look at it). */
  modelPicker?: vscode.QuickPick<vscode.QuickPickItem>;
}

interface ModelItem extends vscode.QuickPickItem {
  entry?: ModelPickEntry;
}

/**
 * Writes chronosLens.model where it is set now (workspace folder, workspace), else in the user settings.
 * In restricted mode always in the user settings (a workspace value would be ignored there).
 */
async function writeModelSetting(value: string): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const i = cfg.inspect<string>('model');
  const target = !vscode.workspace.isTrusted
    ? vscode.ConfigurationTarget.Global
    : i?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : i?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await cfg.update('model', value, target);
}

/**
 * Checks a model setting value (scripts pass one to Select Model…) and returns it. A hub repo id
 * (`owner/name[@revision]`) that is not in the Hugging Face cache is downloaded first; undefined when that
 * fails (the notification says why) or is cancelled.
 */
async function checkModelValue(c: ModelPickerDeps, value: string): Promise<string | undefined> {
  const { resolveModel } = await import('../models/source');
  const env = {
    extensionRoot: c.context.extensionUri.fsPath,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
  };
  let r;
  try {
    r = await resolveModel(value, env);
  } catch (e) {
    const repo = parseRepoSpec(value);
    if (!(e instanceof ChronosLensError) || e.code !== 'NOT_FOUND' || !repo || isBundled(value)) throw e;
    const { repoId, revision = 'main' } = repo;
    const { knownModel } = await import('../core/hub');
    const downloaded = await c.hub.download(repoId, { revision, approxBytes: knownModel(repoId)?.approxDownloadBytes, again: () => vscode.commands.executeCommand('chronosLens.selectModel', value) });
    if (!downloaded) return undefined;
    r = await resolveModel(value, env);
  }
  const { inspectCheckpointFolder } = await import('../core/hub');
  const info = await inspectCheckpointFolder(r.dir);
  if (!info.isChronos) throw new ChronosLensError('BAD_CHECKPOINT', info.problem ?? vscode.l10n.t('{0} is not a Chronos checkpoint', r.dir));
  return value;
}

/**
 * Select Model…: a QuickPick of the bundled model, Amazon's Chronos-T5 and Chronos-Bolt models (downloaded when not in the
 * cache), the other Chronos checkpoints in the Hugging Face cache and "Checkpoint folder…"
 * (lib/model-items.ts). With a string argument (scripts): that value, checked, without asking; a repo id
 * that is not in the cache is downloaded first.
 */
export async function selectModel(c: ModelPickerDeps, arg?: unknown): Promise<string | undefined> {
  const current = c.settings.model;
  if (typeof arg === 'string') {
    const value = await checkModelValue(c, arg);
    if (value === undefined) return undefined;
    if (value !== current) await writeModelSetting(value);
    c.log.info(`model set to ${value}`);
    return value;
  }
  const { buildModelPickEntries } = await import('./lib/model-items');
  const hub = await import('../core/hub');
  const bundledDir = bundledModelDir(c.context.extensionUri.fsPath);
  const settings = hub.resolveHubSettings({ env: process.env });
  const inputs = { current, bundledName: BUNDLED_MODEL_NAME, bundledDir, known: hub.KNOWN_MODELS, knownBolt: hub.KNOWN_BOLT_MODELS, cacheDir: settings.cacheDir, offline: settings.offline };
  const toItems = (entries: ModelPickEntry[]): ModelItem[] =>
    entries.map((e) =>
      e.kind === 'separator' ? { label: e.label, kind: vscode.QuickPickItemKind.Separator } : { label: e.label, description: e.description, detail: e.detail, entry: e },
    );
  const qp = vscode.window.createQuickPick<ModelItem>();
  qp.title = vscode.l10n.t('Chronos Lens: Select Model');
  qp.placeholder = vscode.l10n.t('The Chronos checkpoint to analyse (Amazon\'s models are downloaded into the Hugging Face cache)');
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = toItems(buildModelPickEntries(inputs));
  qp.busy = true;
  qp.show();
  c.modelPicker = qp;

  // Cached snapshots (HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub), scanned while the picker is open.
  hub.scanCache(settings.cacheDir, { env: process.env }).then(
    (found) => {
      const active = qp.activeItems[0]?.entry;
      qp.items = toItems(buildModelPickEntries({ ...inputs, cached: found }));
      const key = (e?: ModelPickEntry) => e && (e.repoId ?? e.value ?? e.action);
      const again = active && qp.items.find((i) => key(i.entry) === key(active));
      if (again) qp.activeItems = [again];
      qp.busy = false;
    },
    (e: unknown) => {
      c.log.warn(`scanning the Hugging Face cache ${settings.cacheDir} failed: ${(e as Error).message}`);
      qp.busy = false;
    },
  );

  const picked = await new Promise<ModelPickEntry | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.entry);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  if (c.modelPicker === qp) c.modelPicker = undefined;
  if (!picked) return undefined;
  let value = picked.value;
  if (picked.action === 'download' && picked.repoId) {
    const repoId = picked.repoId;
    const cached = await hub.findCachedModel(repoId, 'main', settings.cacheDir);
    if (!cached) {
      const r = await c.hub.download(repoId, { approxBytes: picked.downloadBytes, again: () => vscode.commands.executeCommand('chronosLens.selectModel', repoId) });
      if (!r) return undefined;
      void vscode.window.showInformationMessage(
        r.bytesDownloaded ? vscode.l10n.t('Chronos Lens: {0} downloaded ({1}) into the Hugging Face cache and selected.', repoId, hub.formatBytes(r.bytesDownloaded)) : vscode.l10n.t('Chronos Lens: {0} selected (already in the Hugging Face cache).', repoId),
      );
    }
    value = repoId;
  }
  if (picked.action === 'folder') {
    const dirs = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: vscode.l10n.t('Chronos checkpoint folder'), openLabel: vscode.l10n.t('Use this checkpoint') });
    const dir = dirs?.[0];
    if (!dir) return undefined;
    if (dir.scheme !== 'file') throw new ChronosLensError('BAD_INPUT', vscode.l10n.t('{0} is not on this machine\'s file system', dir.toString()));
    const info = await hub.inspectCheckpointFolder(dir.fsPath);
    if (!info.isChronos) throw new ChronosLensError('BAD_CHECKPOINT', info.problem ?? vscode.l10n.t('{0} is not a Chronos checkpoint', dir.fsPath));
    value = dir.fsPath;
  }
  if (value === undefined) return undefined;
  if (value !== current) {
    await writeModelSetting(value);
    c.log.info(`model set to ${value}`);
  }
  return value;
}

/** Show Model Info's answer: the model as results name it (ModelSummary), and how it runs here. */
export interface ModelInfo extends ModelSummary {
  source: string;
  vocabSize: number;
  provider: { requested: string; used: string; fallbackReason?: string };
  onnxruntime: string;
  graphCache: string | null;
  /** GPU support (the staged CUDA provider package) and the CUDA runtime libraries on this machine. */
  gpu: {
    supported: boolean;
    unsupportedReason?: string;
    installed: boolean;
    dir?: string;
    problems: string[];
    storageDir: string;
    /** The onnxruntime-node package running (a staged GPU copy, or the bundled one). */
    ortPackage: string;
    cudaRuntime: { complete: boolean; missing: string[] };
    /** The NVIDIA driver library is found: this machine has an NVIDIA GPU to install GPU support for. */
    nvidiaDriver: boolean;
  };
}

export async function showModelInfo(c: ModelPickerDeps): Promise<ModelInfo> {
  const info = await withCancellableProgress(vscode.l10n.t('Chronos Lens: model info'), c.jobs, (ctl) =>
    c.models.use(
      async (m, resolved) => {
        ctl.onProgress({ message: vscode.l10n.t('starting {0}', m.name) });
        if (!m.provider) {
          // The provider is decided when the first session starts: start the smallest one.
          const { isBolt, isChronos2 } = await import('../models/load');
          if (isBolt(m)) await m.forward([[0]], { quantiles: true });
          else if (isChronos2(m)) await m.forward({ rows: [[0]], outputPatches: 1 }, { quantiles: true });
          else {
            const eos = m.config.chronos.eosTokenId;
            await m.encode({ data: [eos], dims: [1, 1] }, { data: [1], dims: [1, 1] });
          }
        }
        const { modelSummary } = await import('../analysis/common');
        const { ortVersion } = await import('../models/runtime/ort');
        const s = await modelSummary(m);
        const p = m.provider!;
        const g: GpuInfo = await gpuInfo(c);
        const out: ModelInfo = {
          name: s.name,
          path: s.path,
          source: resolved.kind === 'hub' ? `Hugging Face cache (${resolved.repoId}@${resolved.commit?.slice(0, 10)})` : resolved.kind,
          hash: s.hash,
          encoderLayers: s.encoderLayers,
          decoderLayers: s.decoderLayers,
          heads: s.heads,
          dModel: s.dModel,
          dKv: s.dKv,
          vocabSize: m.config.t5.vocabSize,
          contextLength: s.contextLength,
          predictionLength: s.predictionLength,
          ...(s.family ? { family: s.family, patch: s.patch } : {}),
          provider: { requested: p.requested, used: p.used, ...(p.fallbackReason ? { fallbackReason: p.fallbackReason } : {}) },
          onnxruntime: ortVersion(),
          graphCache: m.cacheDir,
          gpu: {
            supported: g.status.supported,
            unsupportedReason: g.status.unsupportedReason,
            installed: g.status.installed,
            dir: g.status.dir,
            problems: g.status.problems,
            storageDir: g.status.storageDir,
            ortPackage: g.ortPackage,
            cudaRuntime: { complete: g.cuda.complete, missing: g.cuda.libraries.filter((l) => !l.found).map((l) => l.library) },
            nvidiaDriver: g.cuda.libraries.some((l) => l.role === 'NVIDIA driver' && !!l.found),
          },
        };
        c.log.info(`GPU\n${describeGpu(g)}`);
        return out;
      },
      { signal: ctl.signal, activity: vscode.l10n.t('model info') },
    ),
  );
  c.log.info(`model info\n${JSON.stringify(info, null, 2)}`);
  const provider = info.provider.requested !== info.provider.used ? vscode.l10n.t('{0} (requested {1})', info.provider.used, info.provider.requested) : info.provider.used;
  const name = info.family === 'chronos-bolt' ? vscode.l10n.t('{0} (Chronos-Bolt, patches of {1})', info.name, info.patch?.size ?? '?') : info.name;
  const running = info.provider.fallbackReason ? `${provider} — ${info.provider.fallbackReason}` : provider;
  const text = vscode.l10n.t(
    'Chronos Lens: {0} — encoder {1} / decoder {2} layers × {3} heads, d_model {4}, context {5}, horizon {6}; running on {7}.',
    name,
    info.encoderLayers,
    info.decoderLayers,
    info.heads,
    info.dModel,
    info.contextLength,
    info.predictionLength,
    running,
  );
  // After a fallback from CUDA without the provider package, on a machine with an NVIDIA GPU: offer to install it.
  const wantedCuda = info.provider.requested === 'cuda' || (info.provider.requested === 'auto' && process.platform === 'linux');
  const offerGpu = info.provider.used === 'cpu' && wantedCuda && info.gpu.supported && !info.gpu.installed && info.gpu.nvidiaDriver;
  const details = vscode.l10n.t('Show Details');
  const select = vscode.l10n.t('Select Model…');
  const install = vscode.l10n.t('Install GPU Support');
  const buttons = [details, select, ...(offerGpu ? [install] : [])];
  void vscode.window.showInformationMessage(text, ...buttons).then(
    (choice) => {
      if (choice === details) c.log.show(true);
      else if (choice === select) void vscode.commands.executeCommand('chronosLens.selectModel');
      else if (choice === install) void vscode.commands.executeCommand('chronosLens.installGpuSupport');
    },
    () => undefined,
  );
  return info;
}
