/**
 * GPU support from VS Code: Install GPU Support (ONNX Runtime's CUDA provider for the bundled
 * onnxruntime-node, from NuGet, verified, staged under the extension's global storage in `gpu/`, which
 * Clear Model Cache never touches), Remove GPU Support, and provisioning the staged package before the
 * first model load when the execution provider is `cuda` or `auto` (core/gpu, models/runtime/provision.ts). Nothing
 * here comes from a workspace: the storage folder is the extension's own, the feed CHRONOS_LENS_NUGET_INDEX
 * (VS Code's environment) else the one onnxruntime-node names, the proxy the user's http.* settings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChronosLensError } from '../core/errors';
import type { CudaRuntimeReport, GpuSupportStatus } from '../core/gpu';
import type { HubAccess } from './hub';
import type { ProviderSetting } from './lib/settings';
import { withCancellableProgress, type JobRegistry } from './ui';

export interface GpuHost {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly jobs: JobRegistry;
  readonly hub: HubAccess;
  readonly settings: { provider: ProviderSetting };
}

export interface GpuInstallCommandResult {
  dir: string;
  alreadyInstalled: boolean;
  bytesDownloaded: number;
  /** ONNX Runtime is already loaded in this extension host: the window must be reloaded to use it. */
  reloadNeeded: boolean;
  /** Every CUDA / cuDNN library the provider needs was found on this machine. */
  cudaRuntimeComplete: boolean;
}

export interface GpuInfo {
  status: GpuSupportStatus;
  cuda: CudaRuntimeReport;
  /** The onnxruntime-node package this extension host runs (a staged GPU copy, or the bundled one). */
  ortPackage: string;
  ortLoaded: boolean;
}

/** `<globalStorage>/gpu`: the staged GPU packages. Never from a setting. */
export function gpuStorageDir(context: vscode.ExtensionContext): string {
  return path.join(context.globalStorageUri.fsPath, 'gpu');
}

/**
 * Before the first model load: with provider cuda (or auto where auto means CUDA) and a staged package
 * for the bundled ORT version, load onnxruntime-node from it. Returns the folder in use, if any.
 */
export async function provisionGpu(host: Pick<GpuHost, 'context' | 'log'>, provider: ProviderSetting): Promise<string | undefined> {
  const { provisionGpuRuntime } = await import('../models/runtime/provision');
  try {
    const dir = await provisionGpuRuntime(provider, gpuStorageDir(host.context));
    if (dir) host.log.info(`ONNX Runtime with the CUDA provider from ${dir}`);
    return dir;
  } catch (e) {
    host.log.warn(`GPU support could not be provisioned (the bundled ONNX Runtime is used): ${(e as Error).message}`);
    return undefined;
  }
}

/** What the palette and the hints know of this machine (the `chronosLens.gpu` and `chronosLens.gpuSupport` context keys). */
export interface GpuPresence {
  /** The NVIDIA driver library is found. */
  nvidia: boolean;
  /** A staged GPU package (or leftovers) is in the extension's storage. */
  supportInstalled: boolean;
}

/**
 * Detects GPU presence at activation without touching ONNX Runtime (not even its package.json): the
 * loader's view of the NVIDIA driver library, and whether the GPU storage folder holds anything.
 */
export async function detectGpuPresence(host: Pick<GpuHost, 'context'>): Promise<GpuPresence> {
  const gpu = await import('../core/gpu');
  const [staged, cuda] = await Promise.all([fs.promises.readdir(gpuStorageDir(host.context)).catch(() => [] as string[]), gpu.checkCudaRuntime()]);
  return { nvidia: gpu.hasNvidiaDriver(cuda), supportInstalled: staged.length > 0 };
}

export async function gpuInfo(host: Pick<GpuHost, 'context'>): Promise<GpuInfo> {
  const gpu = await import('../core/gpu');
  const ort = await import('../models/runtime/ort');
  const [status, cuda] = await Promise.all([gpu.gpuSupportStatus(gpuStorageDir(host.context)), gpu.checkCudaRuntime()]);
  return { status, cuda, ortPackage: ort.ortPackageOverride() ?? ort.bundledOrtPackage().dir, ortLoaded: ort.ortLoaded() };
}

/** One paragraph for logs and Show Model Info. */
export function describeGpu(i: GpuInfo): string {
  const s = i.status;
  const lines: string[] = [];
  if (!s.supported) lines.push(`CUDA provider: not available for ${s.platform}-${s.arch} (${s.unsupportedReason ?? 'unsupported'})`);
  else if (s.installed) lines.push(`GPU support: installed for onnxruntime ${s.ortVersion} in ${s.dir}${s.problems.length ? `; problems: ${s.problems.join('; ')}` : ''}`);
  else lines.push(`GPU support: not installed (Chronos Lens: Install GPU Support)${s.problems.length ? `; ${s.problems.join('; ')}` : ''}`);
  if (s.others.length) lines.push(`leftovers in ${s.storageDir}: ${s.others.map((o) => path.basename(o.dir)).join(', ')} (Remove GPU Support frees them)`);
  if (i.cuda.libraries.length) {
    const missing = i.cuda.libraries.filter((l) => !l.found);
    lines.push(
      i.cuda.complete
        ? 'CUDA runtime: every library found'
        : `CUDA runtime: missing ${missing.map((l) => `${l.library}${l.notOnPath ? ` (in ${l.notOnPath}, not on the library path)` : ''}`).join(', ')}`,
    );
  }
  lines.push(`ONNX Runtime package: ${i.ortPackage}${i.ortLoaded ? ' (loaded)' : ''}`);
  return lines.join('\n');
}

/** Install GPU Support: progress (bytes, speed, ETA) with Cancel; then what it takes to use it. */
export async function installGpuSupportCommand(host: GpuHost): Promise<GpuInstallCommandResult | undefined> {
  const gpu = await import('../core/gpu');
  const ort = await import('../models/runtime/ort');
  const storageDir = gpuStorageDir(host.context);
  const status = await gpu.gpuSupportStatus(storageDir);
  if (!status.supported) {
    throw new ChronosLensError('RUNTIME', vscode.l10n.t('ONNX Runtime has no CUDA provider package for {0}-{1}: {2}', status.platform, status.arch, status.unsupportedReason ?? vscode.l10n.t('unsupported')));
  }
  const net = host.hub.network();
  const r = await withCancellableProgress(vscode.l10n.t('Chronos Lens: installing GPU support ({0} {1})', status.package?.id ?? vscode.l10n.t('CUDA provider'), status.ortVersion), host.jobs, (c) =>
    gpu.installGpuSupport({ storageDir, ...net, env: process.env, signal: c.signal, onProgress: (p) => c.onProgress({ fraction: p.fraction, message: p.message }) }),
  );
  const cuda = await gpu.checkCudaRuntime();
  const reloadNeeded = ort.ortLoaded() && ort.ortPackageOverride() !== r.dir;
  host.log.info(
    r.alreadyInstalled
      ? `GPU support already installed in ${r.dir}`
      : `GPU support installed: ${r.packageId} ${r.packageVersion} (${(r.bytesDownloaded / 1e6).toFixed(1)} MB downloaded, SHA-512 verified) staged in ${r.dir}`,
  );
  const missing = cuda.libraries.filter((l) => !l.found).map((l) => l.library);
  if (missing.length) host.log.warn(`the CUDA provider will not start until these are on the library path: ${missing.join(', ')} (docs/gpu.md)`);
  const reload = vscode.l10n.t('Reload Window');
  const useAuto = vscode.l10n.t('Use auto');
  const parts = [r.alreadyInstalled ? vscode.l10n.t('GPU support is already installed.') : vscode.l10n.t('GPU support installed.')];
  const buttons: string[] = [];
  if (reloadNeeded) {
    parts.push(vscode.l10n.t('ONNX Runtime is already running in this window: reload it to use CUDA.'));
    buttons.push(reload);
  } else if (host.settings.provider === 'cpu') {
    parts.push(vscode.l10n.t('The execution provider setting is "cpu".'));
    buttons.push(useAuto);
  } else {
    parts.push(vscode.l10n.t('The next model load uses it.'));
  }
  if (missing.length) parts.push(vscode.l10n.t('CUDA will fall back to the CPU until these libraries are installed: {0}.', missing.join(', ')));
  const text = vscode.l10n.t('Chronos Lens: {0}', parts.join(' '));
  void (missing.length ? vscode.window.showWarningMessage(text, ...buttons) : vscode.window.showInformationMessage(text, ...buttons)).then(
    async (choice) => {
      if (choice === reload) await vscode.commands.executeCommand('workbench.action.reloadWindow');
      else if (choice === useAuto) await vscode.workspace.getConfiguration('chronosLens').update('executionProvider', 'auto', vscode.ConfigurationTarget.Global);
    },
    () => undefined,
  );
  return { dir: r.dir, alreadyInstalled: r.alreadyInstalled, bytesDownloaded: r.bytesDownloaded, reloadNeeded, cudaRuntimeComplete: cuda.complete };
}

/** Remove GPU Support: asks first (unless called with `{ confirm: false }`). */
export async function removeGpuSupportCommand(host: GpuHost, arg?: unknown): Promise<{ removed: string[]; freedBytes: number; reloadNeeded: boolean } | undefined> {
  const gpu = await import('../core/gpu');
  const ort = await import('../models/runtime/ort');
  const { formatBytes } = await import('../core/hub');
  const storageDir = gpuStorageDir(host.context);
  const status = await gpu.gpuSupportStatus(storageDir);
  if (status.sizeBytes === 0 && !status.installed) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Chronos Lens: GPU support is not installed.'));
    return { removed: [], freedBytes: 0, reloadNeeded: false };
  }
  const confirm = !(arg && typeof arg === 'object' && (arg as { confirm?: unknown }).confirm === false);
  if (confirm) {
    const remove = vscode.l10n.t('Remove');
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Remove Chronos Lens GPU support ({0} in {1})?', formatBytes(status.sizeBytes), storageDir),
      { modal: true, detail: vscode.l10n.t('Models then run on the CPU (or DirectML / CoreML where the platform has them). Install GPU Support brings it back.') },
      remove,
    );
    if (ok !== remove) return undefined;
  }
  const inUse = ort.ortLoaded() && !!ort.ortPackageOverride() && ort.ortPackageOverride()!.startsWith(storageDir);
  const r = await gpu.removeGpuSupport(storageDir);
  host.log.info(`GPU support removed: ${r.removed.join(', ') || 'nothing'} (${formatBytes(r.freedBytes)})`);
  const reload = vscode.l10n.t('Reload Window');
  void vscode.window.showInformationMessage(
    inUse
      ? vscode.l10n.t('Chronos Lens: GPU support removed ({0} freed). This window still runs the removed copy of ONNX Runtime: reload it.', formatBytes(r.freedBytes))
      : vscode.l10n.t('Chronos Lens: GPU support removed ({0} freed).', formatBytes(r.freedBytes)),
    ...(inUse ? [reload] : []),
  ).then(
    async (choice) => {
      if (choice === reload) await vscode.commands.executeCommand('workbench.action.reloadWindow');
    },
    () => undefined,
  );
  return { ...r, reloadNeeded: inUse };
}
