/**
 * Multi-step QuickPick input (the pattern of VS Code's quick-input sample): each step is a QuickPick or
 * an InputBox with "step i of n" and a Back button; Back re-runs the previous step, Escape cancels the
 * whole flow.
 */
import * as vscode from 'vscode';

export class FlowBack extends Error {
  constructor() {
    super('back');
  }
}
export class FlowCancel extends Error {
  constructor() {
    super('cancel');
  }
}

interface StepBase {
  title: string;
  step: number;
  totalSteps: number;
}

export interface PickOptions<T extends vscode.QuickPickItem> extends StepBase {
  items: T[];
  placeholder?: string;
  active?: T;
  /** Item buttons: return true to close the step with `undefined`-like re-render (the caller re-runs it). */
  onItemButton?(item: T, button: vscode.QuickInputButton, qp: vscode.QuickPick<T>): void;
}

export function pickOne<T extends vscode.QuickPickItem>(o: PickOptions<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const qp = vscode.window.createQuickPick<T>();
    const subs: vscode.Disposable[] = [];
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      subs.forEach((s) => s.dispose());
      qp.dispose();
    };
    qp.title = o.title;
    qp.step = o.step;
    qp.totalSteps = o.totalSteps;
    qp.placeholder = o.placeholder;
    qp.items = o.items;
    qp.matchOnDescription = true;
    if (o.active) qp.activeItems = [o.active];
    qp.buttons = o.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    subs.push(
      qp.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) done(() => reject(new FlowBack()));
      }),
      qp.onDidTriggerItemButton((e) => o.onItemButton?.(e.item, e.button, qp)),
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (item) done(() => resolve(item));
      }),
      qp.onDidHide(() => done(() => reject(new FlowCancel()))),
    );
    qp.show();
  });
}

export interface PickManyOptions<T extends vscode.QuickPickItem> extends StepBase {
  items: T[];
  placeholder?: string;
  selected?: T[];
}

export function pickMany<T extends vscode.QuickPickItem>(o: PickManyOptions<T>): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    const qp = vscode.window.createQuickPick<T>();
    const subs: vscode.Disposable[] = [];
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      subs.forEach((s) => s.dispose());
      qp.dispose();
    };
    qp.title = o.title;
    qp.step = o.step;
    qp.totalSteps = o.totalSteps;
    qp.placeholder = o.placeholder;
    qp.canSelectMany = true;
    qp.matchOnDescription = true;
    qp.items = o.items;
    if (o.selected) qp.selectedItems = o.selected;
    qp.buttons = o.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    subs.push(
      qp.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) done(() => reject(new FlowBack()));
      }),
      qp.onDidAccept(() => {
        if (qp.selectedItems.length === 0) {
          qp.placeholder = 'Select at least one (Space toggles, Enter accepts).';
          return;
        }
        const sel = [...qp.selectedItems];
        done(() => resolve(sel));
      }),
      qp.onDidHide(() => done(() => reject(new FlowCancel()))),
    );
    qp.show();
  });
}

export interface InputOptions extends StepBase {
  value?: string;
  prompt?: string;
  placeholder?: string;
  /** An error text, or undefined when the value is acceptable. */
  validate(value: string): string | undefined;
}

export function inputText(o: InputOptions): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const box = vscode.window.createInputBox();
    const subs: vscode.Disposable[] = [];
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      subs.forEach((s) => s.dispose());
      box.dispose();
    };
    box.title = o.title;
    box.step = o.step;
    box.totalSteps = o.totalSteps;
    box.value = o.value ?? '';
    box.prompt = o.prompt;
    box.placeholder = o.placeholder;
    box.buttons = o.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    subs.push(
      box.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) done(() => reject(new FlowBack()));
      }),
      box.onDidChangeValue((v) => (box.validationMessage = v.trim() ? o.validate(v) : undefined)),
      box.onDidAccept(() => {
        const err = o.validate(box.value);
        if (err) {
          box.validationMessage = err;
          return;
        }
        const v = box.value;
        done(() => resolve(v));
      }),
      box.onDidHide(() => done(() => reject(new FlowCancel()))),
    );
    box.show();
  });
}

/**
 * Runs steps in order; a step returns the index of the next step (or undefined when finished).
 * Back goes to the step that led to the current one. Returns false when the user cancelled.
 */
export async function runFlow(steps: Record<string, () => Promise<string | undefined>>, first: string): Promise<boolean> {
  const history: string[] = [];
  let current: string | undefined = first;
  while (current) {
    try {
      const next: string | undefined = await steps[current]();
      history.push(current);
      current = next;
    } catch (e) {
      if (e instanceof FlowBack) {
        current = history.pop() ?? first;
        continue;
      }
      if (e instanceof FlowCancel) return false;
      throw e;
    }
  }
  return true;
}
