/**
 * Drives the VS Code workbench served by code-server from headless Chromium (playwright-core, Debian's
 * /usr/bin/chromium), as a user would: the command palette, the explorer's context menu, webviews,
 * notifications, editor hovers, screenshots.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import type { CodeServer } from './code-server';
import { consoleText } from './console';
import { chromiumPath, resultsDir } from './paths';
import { delay, sleep } from './time';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface WorkbenchOptions {
  /** Screenshots go to test-results/e2e/<suite>/. */
  suite: string;
  /** The workbench `payload` parameter (extension development / tests paths). */
  payload?: [string, string][];
  viewport?: { width: number; height: number };
  /** Wait for the explorer to list the workspace (default true). */
  waitForExplorer?: boolean;
}


export class Workbench {
  readonly consoleLines: string[] = [];
  private shot = 0;
  readonly screenshotDir: string;

  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
    options: WorkbenchOptions,
  ) {
    this.screenshotDir = path.join(resultsDir, options.suite);
    mkdirSync(this.screenshotDir, { recursive: true });
  }

  /** Launches Chromium, opens the workbench on the server's workspace and waits until it is usable. */
  static async open(server: CodeServer, options: WorkbenchOptions): Promise<Workbench> {
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: CHROMIUM_ARGS,
      env: server.env as Record<string, string>,
      timeout: 60_000,
    });
    try {
      const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
      // tsx compiles the tests with esbuild's keepNames, so functions passed to evaluate() may call esbuild's
      // __name helper: provide a no-op one in every frame (webviews included).
      await context.addInitScript('window.__name = window.__name || ((f) => f);');
      const page = await context.newPage();
      const wb = new Workbench(server, browser, context, page, options);
      page.on('console', (m) => {
        void Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')))
          .then((args) => wb.pushConsole(`[${m.type()}] ${consoleText(args.length ? args : [m.text()])}`))
          .catch(() => wb.pushConsole(`[${m.type()}] ${m.text()}`));
      });
      page.on('pageerror', (e) => wb.pushConsole(`[pageerror] ${e.message}`));
      await wb.goto(options);
      return wb;
    } catch (e) {
      await browser.close().catch(() => undefined);
      throw e;
    }
  }

  private pushConsole(line: string): void {
    this.consoleLines.push(line);
    if (this.consoleLines.length > 2000) this.consoleLines.splice(0, 500);
  }

  private async goto(options: WorkbenchOptions): Promise<void> {
    await this.page.goto(this.server.workbenchUrl(options.payload), { timeout: 90_000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    if (options.waitForExplorer !== false) {
      await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
    }
  }

  /** Developer: Reload Window, as a user runs it; resolves once the reloaded workbench shows its explorer again. */
  async reloadWindow(): Promise<void> {
    const navigated = this.page.waitForEvent('framenavigated', { predicate: (f) => f === this.page.mainFrame(), timeout: 90_000 });
    await this.runCommand('Developer: Reload Window');
    await navigated;
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 90_000 });
  }

  /** The last browser console lines (workbench and extension host messages forwarded to the page). */
  consoleTail(lines = 60): string {
    return this.consoleLines.slice(-lines).join('\n');
  }

  /** Saves a screenshot as test-results/e2e/<suite>/<NN>-<name>.png; returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.screenshotDir, `${String(++this.shot).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file, timeout: 20_000 });
    return file;
  }

  /** Closes whatever quick input, menu or hover is open. */
  async escape(times = 2): Promise<void> {
    for (let i = 0; i < times; i++) await this.page.keyboard.press('Escape');
  }

  /**
   * Runs a command from the palette by its full title as listed there ("Chronos Lens: Compute Induction
   * Mosaic"). Right after start-up contributed commands can be missing for a moment: retries until it is
   * listed or `timeoutMs` passes.
   */
  async runCommand(title: string, { timeoutMs = 60_000 } = {}): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    const deadline = Date.now() + timeoutMs;
    let listed: string[] = [];
    for (;;) {
      if (!(await input.isVisible())) {
        await this.page.keyboard.press('F1');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
      }
      await input.fill(`>${title}`);
      const row = await this.quickPickRow(title, Math.min(4000, Math.max(500, deadline - Date.now())));
      if (row) {
        await row.click();
        await input.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
        return;
      }
      listed = await this.quickPickLabels();
      if (Date.now() > deadline) break;
      await this.escape(1);
      await sleep(1000);
    }
    await this.escape(1);
    throw new Error(`command '${title}' is not in the palette after ${timeoutMs} ms (listed: ${listed.join(' | ') || 'nothing'})`);
  }

  /** Labels of the rows the open quick pick lists. */
  async quickPickLabels(): Promise<string[]> {
    return this.page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts().catch(() => []);
  }

  /** The open quick pick's row whose label is exactly `label`, waiting up to `timeoutMs`. */
  async quickPickRow(label: string, timeoutMs = 10_000): Promise<Locator | undefined> {
    const deadline = Date.now() + timeoutMs;
    const rows = this.page.locator('.quick-input-list .monaco-list-row');
    do {
      const labels = await rows.locator('.label-name').allInnerTexts().catch(() => [] as string[]);
      const i = labels.findIndex((l) => l.replace(/\s+/g, ' ').trim() === label);
      if (i >= 0) return rows.nth(i);
      await sleep(200);
    } while (Date.now() < deadline);
    return undefined;
  }

  /** The open quick input's title (multi-step flows show "Title (2/4)"), or '' when none is shown. */
  async quickInputTitle(): Promise<string> {
    const title = this.page.locator('.quick-input-widget .quick-input-title');
    return (await title.isVisible().catch(() => false)) ? (await title.innerText().catch(() => '')).trim() : '';
  }

  /**
   * Waits for the quick input of the next step: visible, with a title matching `step` when given, and in
   * the wanted mode (a list for picks, a bare input box for showInputBox). Steps replace each other in the
   * same widget, so without this a fast test would type into the previous step.
   */
  private async quickInputStep(mode: 'list' | 'input', step: RegExp | undefined, timeoutMs: number): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget input');
    const list = this.page.locator('.quick-input-widget .quick-input-list');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const visible = await input.isVisible().catch(() => false);
      const title = visible ? await this.quickInputTitle() : '';
      const listed = visible && (await list.isVisible().catch(() => false)) && (await list.locator('.monaco-list-row').count()) > 0;
      if (visible && (!step || step.test(title)) && (mode === 'list' ? listed : !listed)) return input;
      if (Date.now() > deadline) {
        throw new Error(`no quick ${mode === 'list' ? 'pick' : 'input box'}${step ? ` titled ${step}` : ''} after ${timeoutMs} ms (now: ${visible ? `"${title}"${listed ? ', a list' : ', an input box'}` : 'none'})`);
      }
      await sleep(150);
    }
  }

  /** After accepting a step: waits until the widget closes or shows another step (bounded, never throws). */
  private async quickInputAdvanced(previousTitle: string, previousMode: 'list' | 'input'): Promise<void> {
    const deadline = Date.now() + 10_000;
    const list = this.page.locator('.quick-input-widget .quick-input-list');
    while (Date.now() < deadline) {
      if (!(await this.page.locator('.quick-input-widget input').isVisible().catch(() => false))) return;
      const listed = (await list.isVisible().catch(() => false)) && (await list.locator('.monaco-list-row').count()) > 0;
      if ((await this.quickInputTitle()) !== previousTitle || (listed ? 'list' : 'input') !== previousMode) return;
      await sleep(100);
    }
  }

  /**
   * Picks `label` in an open quick pick (a command's own input: model choice, ablation settings, ...),
   * typing `filter` first when given; `step` matches the step's title, e.g. /\(2\/4\)/.
   */
  async pick(label: string, { filter, step, timeoutMs = 30_000 }: { filter?: string; step?: RegExp; timeoutMs?: number } = {}): Promise<void> {
    const input = await this.quickInputStep('list', step, timeoutMs);
    const title = await this.quickInputTitle();
    if (filter !== undefined) await input.fill(filter);
    const row = await this.quickPickRow(label, timeoutMs);
    if (!row) throw new Error(`'${label}' is not in the quick pick "${title}" (listed: ${(await this.quickPickLabels()).join(' | ')})`);
    await row.click();
    await this.quickInputAdvanced(title, 'list');
  }

  /** Types into an open input box (showInputBox, or a flow's input step) and accepts it. */
  async answerInput(text: string, { step, timeoutMs = 30_000 }: { step?: RegExp; timeoutMs?: number } = {}): Promise<void> {
    const input = await this.quickInputStep('input', step, timeoutMs);
    const title = await this.quickInputTitle();
    await input.fill(text);
    await input.press('Enter');
    await this.quickInputAdvanced(title, 'input');
  }

  /** The explorer row of a file or folder (exact name). */
  explorerItem(name: string): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row').filter({
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
    });
  }

  /**
   * Right-clicks a file in the explorer and chooses a context-menu item (retrying while the extension's
   * menu contributions are still loading).
   */
  async explorerContextMenu(fileName: string, item: string, { timeoutMs = 60_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const menuItem = this.page.locator('.context-view .monaco-menu .action-item:not(.disabled) .action-label', { hasText: item });
    let seen: string[] = [];
    for (;;) {
      await this.explorerItem(fileName).first().click({ button: 'right', timeout: 30_000 });
      try {
        await this.page.locator('.context-view .monaco-menu').waitFor({ state: 'visible', timeout: 5000 });
        const exact = menuItem.filter({ hasText: new RegExp(`^${item.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
        await exact.first().waitFor({ state: 'visible', timeout: 2000 });
        // The menu ignores a click that comes right after it opened: click until it closes.
        const menu = this.page.locator('.context-view .monaco-menu');
        for (let i = 0; i < 5; i++) {
          await sleep(250);
          if (!(await exact.first().isVisible())) break;
          await exact.first().click({ timeout: 5000 }).catch(() => undefined);
          if (await menu.waitFor({ state: 'hidden', timeout: 1500 }).then(() => true, () => false)) return;
        }
        if (!(await menu.isVisible())) return;
        throw new Error('the context menu does not close on click');
      } catch {
        seen = await this.page.locator('.context-view .monaco-menu .action-label').allInnerTexts().catch(() => []);
        await this.escape(1);
      }
      if (Date.now() > deadline) break;
      await sleep(1000);
    }
    throw new Error(`'${item}' is not in the context menu of ${fileName} (menu: ${seen.filter(Boolean).join(' | ')})`);
  }

  /**
   * Opens a workspace file through Quick Open. VS Code reopens a file in the editor it last used for it (a
   * custom editor, say); `text: true` makes sure it ends up in the text editor.
   */
  async openFile(name: string, { text = false }: { text?: boolean } = {}): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(name);
    const row = await this.quickPickRow(name, 15_000);
    if (!row) throw new Error(`Quick Open does not list ${name}`);
    await row.click();
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
    if (!text) return;
    const editor = this.page.locator('.editor-group-container.active .monaco-editor .view-lines');
    if (await editor.first().waitFor({ timeout: 3000 }).then(() => true, () => false)) return;
    await this.runCommand('View: Reopen Editor with Text Editor', { timeoutMs: 20_000 });
    await editor.first().waitFor({ timeout: 30_000 });
  }

  /** Webview panels whose content has loaded (outer iframes), in DOM order. */
  webviewFrames(): Locator {
    return this.page.locator('iframe.webview.ready');
  }

  /**
   * The content frame of a webview: the visible one by default, or the n-th ready one. VS Code nests the
   * extension's HTML in `iframe#active-frame` inside the webview's outer iframe.
   */
  webview(which: { index?: number; title?: string } = {}): FrameLocator {
    let outer = this.page.locator('iframe.webview.ready');
    if (which.title !== undefined) outer = outer.and(this.page.locator(`iframe[title="${which.title}"]`));
    outer = which.index !== undefined ? outer.nth(which.index) : outer.filter({ visible: true }).first();
    return outer.contentFrame().frameLocator('iframe#active-frame');
  }

  /**
   * The content frame of the webview whose text (shadow DOM included) matches `re`, waiting for it to
   * appear: panels are told apart by what they show, since several can be visible side by side.
   */
  async findWebview(re: RegExp, { timeoutMs = 120_000 } = {}): Promise<FrameLocator> {
    const deadline = Date.now() + timeoutMs;
    const outer = this.page.locator('iframe.webview.ready');
    let seen: string[] = [];
    do {
      seen = [];
      const ids = await outer.evaluateAll((els) => els.map((e) => e.getAttribute('name') ?? ''));
      for (const id of ids) {
        const frame = this.page.locator(`iframe.webview.ready[name="${id}"]`).contentFrame().frameLocator('iframe#active-frame');
        const text = await webviewText(frame);
        seen.push(text.slice(0, 80));
        if (re.test(text)) return frame;
      }
      await sleep(500);
    } while (Date.now() < deadline);
    throw new Error(`no webview shows ${re} after ${timeoutMs} ms (webviews: ${seen.map((t) => JSON.stringify(t)).join(', ') || 'none'})`);
  }

  /**
   * Clicks the editor tab whose label matches `title` (waiting for it to appear) and waits until it is the
   * active tab: results share one editor group, and a webview in a background tab is not rendered.
   */
  async showTab(title: RegExp, { timeoutMs = 120_000 } = {}): Promise<void> {
    await this.page.locator('.tabs-container .tab', { hasText: title }).first().click({ timeout: timeoutMs });
    await this.page.locator('.tabs-container .tab.active', { hasText: title }).first().waitFor({ timeout: timeoutMs });
  }

  /** Waits until a webview panel titled `title` is the active editor tab, then returns its content frame. */
  async waitForWebviewTab(title: string | RegExp, { timeoutMs = 120_000 } = {}): Promise<FrameLocator> {
    await this.page.locator('.tabs-container .tab.active', { hasText: title }).waitFor({ timeout: timeoutMs });
    await this.page.locator('iframe.webview.ready').first().waitFor({ state: 'attached', timeout: timeoutMs });
    return this.webview();
  }

  /** Opens the notification center (toasts are suppressed under the smoke-test driver) and lists its messages. */
  async notifications(): Promise<string[]> {
    const center = this.page.locator('.notifications-center');
    if (!(await center.isVisible().catch(() => false))) {
      await this.runCommand('Notifications: Show Notifications', { timeoutMs: 20_000 });
      await center.waitFor({ state: 'visible', timeout: 10_000 });
    }
    const items = this.page.locator('.notifications-center .notification-list-item');
    const texts: string[] = [];
    for (let i = 0; i < (await items.count()); i++) {
      const item = items.nth(i);
      const message = await item.locator('.notification-list-item-message').innerText().catch(() => '');
      const source = await item.locator('.notification-list-item-source').innerText().catch(() => '');
      texts.push(source ? `${message} (${source})` : message);
    }
    return texts;
  }

  /** Waits until a notification matching `re` is listed; returns its text. */
  async waitForNotification(re: RegExp, { timeoutMs = 120_000 } = {}): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    do {
      last = await this.notifications();
      const hit = last.find((t) => re.test(t));
      if (hit) return hit;
      await sleep(1000);
    } while (Date.now() < deadline);
    throw new Error(`no notification matching ${re} after ${timeoutMs} ms (notifications: ${last.join(' | ') || 'none'})`);
  }

  /** Hides the notification center (it covers part of the editor). */
  async hideNotifications(): Promise<void> {
    if (await this.page.locator('.notifications-center').isVisible().catch(() => false)) {
      await this.runCommand('Notifications: Hide Notifications', { timeoutMs: 20_000 }).catch(() => this.escape(1));
    }
  }

  /**
   * Hovers `text` in the active text editor, on line `lineNumber`, or the first rendered line whose whole text is
   * `line` (default: the first rendered line containing `text`), and returns the hover's text. Waits for a hover whose text matches
   * `expect`, when given, since providers can answer after a first empty hover.
   */
  async hoverEditorText(text: string, { line, lineNumber, expect, timeoutMs = 60_000 }: { line?: string; lineNumber?: number; expect?: RegExp; timeoutMs?: number } = {}): Promise<string> {
    const editor = this.page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.waitFor({ timeout: 30_000 });
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    let row = editor.locator('.view-lines .view-line').filter({ hasText: line !== undefined ? new RegExp(`^\\s*${esc(line.trim())}\\s*$`) : text }).first();
    if (lineNumber !== undefined) {
      // Monaco's line elements are not in document order: find the one level with the gutter's number.
      const gutter = editor.locator('.margin-view-overlays .line-numbers').filter({ hasText: new RegExp(`^\\s*${lineNumber}\\s*$`) }).first();
      await gutter.waitFor({ timeout: 30_000 });
      const y = (await gutter.boundingBox())?.y ?? -1;
      const index = await editor.locator('.view-lines .view-line').evaluateAll((els, top) => els.findIndex((e) => Math.abs(e.getBoundingClientRect().y - top) < 2), y);
      if (index < 0) throw new Error(`line ${lineNumber} is not rendered`);
      row = editor.locator('.view-lines .view-line').nth(index);
    }
    await row.waitFor({ timeout: 30_000 });
    const hover = this.page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-hover:not(.hidden) .hover-contents').first();
    const deadline = Date.now() + timeoutMs;
    let last = '';
    do {
      // The centre of `text` itself (a Range over the rendered characters), not just of its line.
      const point = await row.evaluate((el, t) => {
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const i = (n.textContent ?? '').replace(/\u00a0/g, ' ').indexOf(t);
          if (i < 0) continue;
          const r = document.createRange();
          r.setStart(n, i);
          r.setEnd(n, i + t.length);
          const b = r.getBoundingClientRect();
          return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
        }
        return null;
      }, text);
      if (!point) throw new Error(`'${text}' is not rendered on the line ${line ?? ''}`);
      await this.page.mouse.move(point.x - 2, point.y);
      await this.page.mouse.move(point.x, point.y);
      try {
        await hover.waitFor({ state: 'visible', timeout: 5000 });
        last = await hover.innerText();
        if (!expect || expect.test(last)) return last;
      } catch {
        /* no hover yet */
      }
      await this.page.mouse.move(0, 0);
      await sleep(500);
    } while (Date.now() < deadline);
    throw new Error(`no hover${expect ? ` matching ${expect}` : ''} over '${text}' (last: ${last || 'none'})`);
  }

  /** The text of the status bar (left and right items), e.g. to read the extension's model item. */
  async statusBarTexts(): Promise<string[]> {
    return this.page.locator('.statusbar .statusbar-item').allInnerTexts();
  }

  async close(): Promise<void> {
    await Promise.race([this.browser.close(), delay(10_000)]).catch(() => undefined);
  }
}

/** All text of a webview's document, shadow roots included (Lit components render into them). */
export async function webviewText(frame: FrameLocator): Promise<string> {
  return frame.locator('body').evaluate((body) => {
    const out: string[] = [];
    const walk = (n: Node) => {
      if (n.nodeType === Node.TEXT_NODE) out.push(n.textContent ?? '');
      const root = (n as Element).shadowRoot;
      if (root) walk(root);
      n.childNodes.forEach(walk);
    };
    walk(body);
    return out.join(' ').replace(/\s+/g, ' ').trim();
  }, undefined, { timeout: 5000 }).catch(() => '');
}
