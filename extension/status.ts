/** The status-bar item: model · execution provider · busy spinner; click → Select Model…. */
import * as vscode from 'vscode';
import type { ModelState } from './lib/model-manager';

export class ModelStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('chronosLens.model', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Chronos Lens Model';
    this.item.command = command;
  }

  update(s: ModelState): void {
    const provider = s.used ?? s.provider;
    const explicitFallback = !!s.used && s.provider !== 'auto' && s.used !== s.provider;
    const icon = s.busy ? '$(loading~spin)' : s.error ? '$(error)' : explicitFallback ? '$(warning)' : '$(pulse)';
    // After a fallback the text says so; the tooltip says why.
    this.item.text = `${icon} ${s.label}${s.family ? ` (${s.family.replace(/^Chronos-/, '')})` : ''} · ${provider}${s.used && s.fallbackReason ? ' (fallback)' : ''}${s.queued ? ` (+${s.queued})` : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown('**Chronos Lens**\n\n');
    md.appendMarkdown(`Model: \`${s.label}\`${s.resolved ? ` (${s.resolved.kind})` : ''}${s.family ? ` · ${s.family}` : ''}\n\n`);
    if (s.resolved) md.appendMarkdown(`Folder: \`${s.resolved.dir}\`\n\n`);
    else if (s.setting) md.appendMarkdown(`Setting: \`${s.setting}\`${s.loaded ? '' : ' (loads on first use)'}\n\n`);
    md.appendMarkdown(`Execution provider: ${s.used ? `**${s.used}**${s.provider !== s.used ? ` (requested ${s.provider})` : ''}` : `${s.provider} (decided on first run)`}\n\n`);
    if (s.fallbackReason) {
      md.isTrusted = { enabledCommands: ['chronosLens.showModelInfo', 'chronosLens.installGpuSupport'] };
      md.appendMarkdown(`Not on the GPU: `);
      md.appendText(s.fallbackReason);
      md.appendMarkdown('\n\n[Show Model Info](command:chronosLens.showModelInfo) · [Install GPU Support](command:chronosLens.installGpuSupport)\n\n');
    }
    if (s.error) md.appendMarkdown(`$(error) ${s.error}\n\n`);
    if (s.busy) md.appendMarkdown(`$(loading~spin) ${s.activity ?? 'running'}${s.queued ? `; ${s.queued} waiting` : ''}\n\n`);
    md.appendMarkdown('Click to select a model.');
    this.item.tooltip = md;
    this.item.backgroundColor = s.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : explicitFallback ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
