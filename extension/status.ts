/** The status-bar item: model · execution provider · busy spinner; click → Select Model…. */
import * as vscode from 'vscode';
import type { ModelState } from './lib/model-manager';
import { BUNDLED_MODEL_NOTE, isBundled } from '../models/source';

/** The bundled toy model is the one loaded, or (before a load) the one the setting names. */
export function isToyModel(s: Pick<ModelState, 'resolved' | 'setting'>): boolean {
  return s.resolved ? s.resolved.kind === 'bundled' : isBundled(s.setting);
}

export class ModelStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('chronosLens.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = vscode.l10n.t('Chronos Lens Model');
    this.item.command = command;
  }

  #last?: ModelState;
  /** Whether this machine has an NVIDIA GPU (undefined until detected). */
  #nvidia?: boolean;

  /** Without an NVIDIA GPU, `auto` running on the CPU is no fallback: nothing to warn about or install. */
  setNvidia(nvidia: boolean): void {
    this.#nvidia = nvidia;
    if (this.#last) this.update(this.#last);
  }

  update(s: ModelState): void {
    this.#last = s;
    // `auto` on a machine without an NVIDIA GPU: the CPU is what it means, not a fallback
    const expectedCpu = this.#nvidia === false && s.provider === 'auto';
    const fallbackReason = expectedCpu ? undefined : s.fallbackReason;
    const provider = s.used ?? s.provider;
    const explicitFallback = !!s.used && s.provider !== 'auto' && s.used !== s.provider;
    const icon = s.busy ? '$(loading~spin)' : s.error ? '$(error)' : explicitFallback ? '$(warning)' : '$(pulse)';
    // After a fallback the text says so; the tooltip says why.
    const family = s.family ? ` (${s.family.replace(/^Chronos-(?=\D)/, '')})` : '';
    const shownProvider = s.used && fallbackReason ? vscode.l10n.t('{0} (fallback)', provider) : provider;
    this.item.text = `${icon} ${s.label}${family} · ${shownProvider}${s.queued ? ` (+${s.queued})` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`**${vscode.l10n.t('Chronos Lens')}**\n\n`);
    md.appendMarkdown(`${vscode.l10n.t('Model: {0}', `\`${s.label}\``)}${s.resolved ? ` (${s.resolved.kind})` : ''}${s.family ? ` · ${s.family}` : ''}\n\n`);
    const links = ['chronosLens.selectModel'];
    if (isToyModel(s)) md.appendMarkdown(`$(info) ${vscode.l10n.t('{0}. [Select Model…](command:chronosLens.selectModel) downloads one of Amazon\'s.', BUNDLED_MODEL_NOTE)}\n\n`);
    if (s.resolved) md.appendMarkdown(`${vscode.l10n.t('Folder: {0}', `\`${s.resolved.dir}\``)}\n\n`);
    else if (s.setting) md.appendMarkdown(`${s.loaded ? vscode.l10n.t('Setting: {0}', `\`${s.setting}\``) : vscode.l10n.t('Setting: {0} (loads on first use)', `\`${s.setting}\``)}\n\n`);
    const ep = s.used
      ? s.provider !== s.used
        ? vscode.l10n.t('Execution provider: {0} (requested {1})', `**${s.used}**`, s.provider)
        : vscode.l10n.t('Execution provider: {0}', `**${s.used}**`)
      : vscode.l10n.t('Execution provider: {0} (decided on first run)', s.provider);
    md.appendMarkdown(`${ep}\n\n`);
    if (fallbackReason) {
      links.push('chronosLens.showModelInfo', 'chronosLens.installGpuSupport');
      md.appendMarkdown(`${vscode.l10n.t('Not on the GPU:')} `);
      md.appendText(fallbackReason);
      md.appendMarkdown(`\n\n[${vscode.l10n.t('Show Model Info')}](command:chronosLens.showModelInfo) · [${vscode.l10n.t('Install GPU Support')}](command:chronosLens.installGpuSupport)\n\n`);
    }
    if (s.error) md.appendMarkdown(`$(error) ${s.error}\n\n`);
    if (s.busy) {
      const activity = s.activity ?? vscode.l10n.t('running');
      md.appendMarkdown(`$(loading~spin) ${s.queued ? vscode.l10n.t('{0}; {1} waiting', activity, s.queued) : activity}\n\n`);
    }
    md.appendMarkdown(vscode.l10n.t('Click to select a model.'));
    md.isTrusted = { enabledCommands: links };
    this.item.tooltip = md;
    this.item.backgroundColor = s.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : explicitFallback ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
