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

/**
 * One step's input shown until it settles: title, step count and the Back button set, Back rejects with
 * FlowBack, hiding (Escape) with FlowCancel. `wire` adds the step's own handlers; `done` settles once
 * and disposes everything.
 */
function runStep<R, Q extends vscode.QuickPick<vscode.QuickPickItem> | vscode.InputBox>(
  input: Q,
  o: StepBase,
  wire: (done: (f: () => void) => void, resolve: (v: R) => void) => vscode.Disposable[],
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const subs: vscode.Disposable[] = [];
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      f();
      subs.forEach((s) => s.dispose());
      input.dispose();
    };
    input.title = o.title;
    input.step = o.step;
    input.totalSteps = o.totalSteps;
    input.buttons = o.step > 1 ? [vscode.QuickInputButtons.Back] : [];
    subs.push(
      input.onDidTriggerButton((b) => {
        if (b === vscode.QuickInputButtons.Back) done(() => reject(new FlowBack()));
      }),
      ...wire(done, resolve),
      input.onDidHide(() => done(() => reject(new FlowCancel()))),
    );
    input.show();
  });
}

export function pickOne<T extends vscode.QuickPickItem>(o: PickOptions<T>): Promise<T> {
  const qp = vscode.window.createQuickPick<T>();
  qp.placeholder = o.placeholder;
  qp.items = o.items;
  qp.matchOnDescription = true;
  if (o.active) qp.activeItems = [o.active];
  return runStep<T, vscode.QuickPick<T>>(qp, o, (done, resolve) => [
    qp.onDidTriggerItemButton((e) => o.onItemButton?.(e.item, e.button, qp)),
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (item) done(() => resolve(item));
    }),
  ]);
}

export interface PickManyOptions<T extends vscode.QuickPickItem> extends StepBase {
  items: T[];
  placeholder?: string;
  selected?: T[];
}

export function pickMany<T extends vscode.QuickPickItem>(o: PickManyOptions<T>): Promise<T[]> {
  const qp = vscode.window.createQuickPick<T>();
  qp.placeholder = o.placeholder;
  qp.canSelectMany = true;
  qp.matchOnDescription = true;
  qp.items = o.items;
  if (o.selected) qp.selectedItems = o.selected;
  return runStep<T[], vscode.QuickPick<T>>(qp, o, (done, resolve) => [
    qp.onDidAccept(() => {
      if (qp.selectedItems.length === 0) {
        qp.placeholder = vscode.l10n.t('Select at least one (Space toggles, Enter accepts).');
        return;
      }
      const sel = [...qp.selectedItems];
      done(() => resolve(sel));
    }),
  ]);
}

export interface InputOptions extends StepBase {
  value?: string;
  prompt?: string;
  placeholder?: string;
  /** An error text, or undefined when the value is acceptable. */
  validate(value: string): string | undefined;
}

export function inputText(o: InputOptions): Promise<string> {
  const box = vscode.window.createInputBox();
  box.value = o.value ?? '';
  box.prompt = o.prompt;
  box.placeholder = o.placeholder;
  return runStep<string, vscode.InputBox>(box, o, (done, resolve) => [
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
  ]);
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
