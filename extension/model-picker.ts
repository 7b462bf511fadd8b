/**
 * Select Model… (the bundled model, checkpoints already in the Hugging Face cache, any checkpoint
 * folder) and Show Model Info. Issue 9 adds downloads of the published models to this picker.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChronosLensError } from '../core/errors';
import type { Controller } from './controller';
import { BUNDLED_MODEL_NAME, bundledModelDir, isBundled } from './lib/model-spec';
import { BUNDLED_MODEL, SECTION } from './lib/settings';
import { withCancellableProgress } from './ui';

interface ModelItem extends vscode.QuickPickItem {
  value?: string;
  action?: 'folder';
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Writes chronosLens.model where it is set now (workspace folder, workspace), else in the user settings. */
async function writeModelSetting(value: string): Promise<void> {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const i = cfg.inspect<string>('model');
  const target =
    i?.workspaceFolderValue !== undefined ? vscode.ConfigurationTarget.WorkspaceFolder : i?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await cfg.update('model', value, target);
}

/** Checks a model setting value (scripts pass one to Select Model…) and returns it. */
async function checkModelValue(c: Controller, value: string): Promise<string> {
  const { resolveModel } = await import('./lib/model-spec');
  const r = await resolveModel(value, {
    extensionRoot: c.context.extensionUri.fsPath,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
  });
  const { inspectCheckpointFolder } = await import('../core/hub');
  const info = await inspectCheckpointFolder(r.dir);
  if (!info.isChronos) throw new ChronosLensError('BAD_CHECKPOINT', info.problem ?? `${r.dir} is not a Chronos checkpoint`);
  if (info.family === 'chronos-bolt') throw new ChronosLensError('UNSUPPORTED_MODEL', `${path.basename(r.dir)} is a Chronos-Bolt checkpoint; Chronos Lens analyses the token-based Chronos-T5 family`);
  return value;
}

/**
 * Select Model…: a QuickPick of the bundled model, the Chronos checkpoints in the Hugging Face cache
 * and "Checkpoint folder…". With a string argument (scripts): that value, checked, without asking.
 */
export async function selectModel(c: Controller, arg?: unknown): Promise<string | undefined> {
  const current = c.settings.model;
  if (typeof arg === 'string') {
    const value = await checkModelValue(c, arg);
    if (value !== current) await writeModelSetting(value);
    c.log.info(`model set to ${value}`);
    return value;
  }
  const qp = vscode.window.createQuickPick<ModelItem>();
  qp.title = 'Chronos Lens: Select Model';
  qp.placeholder = 'The Chronos checkpoint to analyse';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const bundled: ModelItem = {
    label: `$(package) ${BUNDLED_MODEL_NAME}`,
    description: `bundled${isBundled(current) ? ' · current' : ''}`,
    detail: bundledModelDir(c.context.extensionUri.fsPath),
    value: BUNDLED_MODEL,
  };
  const folder: ModelItem = { label: '$(folder-opened) Checkpoint folder…', description: 'a folder with config.json and model.safetensors', action: 'folder' };
  const base: ModelItem[] = [bundled, folder];
  if (!isBundled(current)) base.splice(1, 0, { label: `$(check) ${current}`, description: 'current setting', value: current });
  qp.items = base;
  qp.busy = true;
  qp.show();

  const scan = (async () => {
    const hub = await import('../core/hub');
    const cacheDir = hub.defaultCacheDir(process.env);
    const found = await hub.scanCache(undefined, { env: process.env });
    const items: ModelItem[] = [];
    if (found.length) items.push({ label: `Hugging Face cache (${cacheDir})`, kind: vscode.QuickPickItemKind.Separator });
    for (const f of found) {
      if (f.family === 'chronos-bolt') continue;
      const value = f.refs.includes('main') ? f.repoId : f.path;
      const isCurrent = current === value || current === f.path;
      items.push({
        label: `$(cloud) ${f.repoId}`,
        description: `${f.refs.length ? f.refs.join(', ') : f.commit.slice(0, 10)} · ${formatBytes(f.sizeBytes)}${isCurrent ? ' · current' : ''}`,
        detail: f.path,
        value,
      });
    }
    return items;
  })();
  scan.then(
    (items) => {
      qp.items = [...base.slice(0, -1), ...items, { label: '', kind: vscode.QuickPickItemKind.Separator }, folder];
      qp.busy = false;
    },
    (e: unknown) => {
      c.log.warn(`scanning the Hugging Face cache failed: ${(e as Error).message}`);
      qp.busy = false;
    },
  );

  const picked = await new Promise<ModelItem | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  if (!picked) return undefined;
  let value = picked.value;
  if (picked.action === 'folder') {
    const dirs = await vscode.window.showOpenDialog({ canSelectFiles: false, canSelectFolders: true, canSelectMany: false, title: 'Chronos checkpoint folder', openLabel: 'Use this checkpoint' });
    const dir = dirs?.[0];
    if (!dir) return undefined;
    if (dir.scheme !== 'file') throw new ChronosLensError('BAD_INPUT', `${dir.toString()} is not on this machine's file system`);
    const { inspectCheckpointFolder } = await import('../core/hub');
    const info = await inspectCheckpointFolder(dir.fsPath);
    if (!info.isChronos) throw new ChronosLensError('BAD_CHECKPOINT', info.problem ?? `${dir.fsPath} is not a Chronos checkpoint`);
    if (info.family === 'chronos-bolt') throw new ChronosLensError('UNSUPPORTED_MODEL', `${path.basename(dir.fsPath)} is a Chronos-Bolt checkpoint; Chronos Lens analyses the token-based Chronos-T5 family`);
    value = dir.fsPath;
  }
  if (value === undefined) return undefined;
  if (value !== current) {
    await writeModelSetting(value);
    c.log.info(`model set to ${value}`);
  }
  return value;
}

export interface ModelInfo {
  name: string;
  path: string;
  source: string;
  hash: string;
  encoderLayers: number;
  decoderLayers: number;
  heads: number;
  dModel: number;
  dKv: number;
  vocabSize: number;
  contextLength: number;
  predictionLength: number;
  provider: { requested: string; used: string; fallbackReason?: string };
  onnxruntime: string;
  graphCache: string | null;
}

export async function showModelInfo(c: Controller): Promise<ModelInfo> {
  const info = await withCancellableProgress('Chronos Lens: model info', c.jobs, (ctl) =>
    c.models.use(
      async (m, resolved) => {
        ctl.onProgress({ message: `starting ${m.name}` });
        if (!m.provider) {
          // The provider is decided when the first session starts: start the smallest one.
          const eos = m.config.chronos.eosTokenId;
          await m.encode({ data: [eos], dims: [1, 1] }, { data: [1], dims: [1, 1] });
        }
        const { modelSummary } = await import('../analysis/common');
        const { ortVersion } = await import('../models/runtime/ort');
        const s = await modelSummary(m);
        const p = m.provider!;
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
          provider: { requested: p.requested, used: p.used, ...(p.fallbackReason ? { fallbackReason: p.fallbackReason } : {}) },
          onnxruntime: ortVersion(),
          graphCache: m.cacheDir,
        };
        return out;
      },
      { signal: ctl.signal, activity: 'model info' },
    ),
  );
  c.log.info(`model info\n${JSON.stringify(info, null, 2)}`);
  const provider = `${info.provider.used}${info.provider.requested !== info.provider.used ? ` (requested ${info.provider.requested})` : ''}`;
  const text =
    `Chronos Lens: ${info.name} — encoder ${info.encoderLayers} / decoder ${info.decoderLayers} layers × ${info.heads} heads, d_model ${info.dModel}, ` +
    `context ${info.contextLength}, horizon ${info.predictionLength}; running on ${provider}${info.provider.fallbackReason ? ` — ${info.provider.fallbackReason}` : ''}.`;
  void vscode.window.showInformationMessage(text, 'Show Details', 'Select Model…').then(
    (choice) => {
      if (choice === 'Show Details') c.log.show(true);
      else if (choice === 'Select Model…') void vscode.commands.executeCommand('chronosLens.selectModel');
    },
    () => undefined,
  );
  return info;
}
