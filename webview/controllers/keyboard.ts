/**
 * The series view's keys, on its focusable chart: ← → move the hovered point (Shift: ×10) through the
 * displayed points and on into the forecast steps (a model that reads patches, Chronos-Bolt: one patch of
 * the context, and as many forecast steps, at a time, since every row of a patch has the same attention), Home / End jump to the first context point and the
 * last step, ↑ ↓ change the head, Page Up / Page Down the layer, M cycles head / max / mean, + − 0 zoom,
 * Escape releases the pin and then the hover, Enter reveals the row in the CSV's editor; on a forecast
 * step Enter, Space, Shift+F10 or the context-menu key open the step's action menu.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { HeadSelection, SeriesPayload } from '../../protocol/series';
import type { SeriesHover } from '../render/series-chart';
import { lowerBound, positionOfRow, rowsOfPosition } from '../render/series-domain';

export interface KeyboardOptions {
  series(): SeriesPayload | undefined;
  /** Forecast steps drawn (0 without a forecast). */
  forecastSteps(): number;
  /** Rows of the displayed points, ascending. */
  rows(): readonly number[];
  hover(): SeriesHover | undefined;
  pinned(): boolean;
  setHover(h: SeriesHover | undefined, pinned: boolean): void;
  /** Pans so that `h` is visible. */
  reveal(h: SeriesHover): void;
  selection(): HeadSelection;
  select(sel: HeadSelection): void;
  heads(): number;
  layers(): number;
  zoomBy(factor: number): void;
  fitContext(): void;
  revealRow(row: number): void;
  /** Opens the action menu of a forecast step (returns false where the step has no actions). */
  stepMenu(step: number): boolean;
}

export class SeriesKeyboardController implements ReactiveController {
  constructor(
    host: ReactiveControllerHost,
    private readonly opts: KeyboardOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Moves the hovered point by `steps` points (context rows, then forecast steps). */
  step(steps: number): void {
    const o = this.opts;
    const s = o.series();
    if (!s) return;
    const fsteps = o.forecastSteps();
    const rows = o.rows();
    const current = o.hover();
    let h = current ?? (s.context.end > s.context.start ? { kind: 'encoder' as const, row: s.context.end - 1 } : undefined);
    if (!h) return;
    const patches = s.context.patches;
    /** The displayed point nearest `row` among rows lo..hi (the point itself when none is displayed there). */
    const snap = (row: number, [lo, hi]: [number, number]): number => {
      const k = lowerBound(rows, row);
      const near = [rows[k], rows[k - 1]].filter((r) => r !== undefined && r >= lo && r <= hi);
      return near.length ? near.reduce((a, b) => (Math.abs(b - row) < Math.abs(a - row) ? b : a)) : row;
    };
    if (current) {
      for (let i = 0; i < Math.abs(steps); i++) {
        const dir = Math.sign(steps);
        const p = patches && h.kind === 'encoder' ? positionOfRow(s.context, h.row) : -1;
        if (patches && h.kind === 'encoder' && p >= 0) {
          // the same offset in the neighbouring patch; past the last patch, the forecast
          const q = p + dir;
          if (q >= 0 && q < patches.count) {
            const span = rowsOfPosition(s.context, q);
            h = { kind: 'encoder', row: snap(Math.min(span[1], Math.max(span[0], h.row + dir * patches.stride)), span) };
          } else if (dir > 0 && fsteps) h = { kind: 'cross', step: 0 };
          else if (dir < 0) {
            // before the first patch: the displayed row before the window
            const k = lowerBound(rows, rowsOfPosition(s.context, 0)[0]);
            if (k > 0) h = { kind: 'encoder', row: rows[k - 1] };
          }
        } else if (patches && h.kind === 'cross') {
          const to: number = h.step + dir * patches.size;
          h = dir > 0 ? { kind: 'cross', step: Math.min(fsteps - 1, to) } : h.step > 0 ? { kind: 'cross', step: Math.max(0, to) } : { kind: 'encoder', row: s.totalRows - 1 };
        } else if (h.kind === 'encoder') {
          const k = lowerBound(rows, h.row);
          if (dir > 0) {
            if (k + 1 < rows.length) h = { kind: 'encoder', row: rows[k + 1] };
            else if (fsteps) h = { kind: 'cross', step: 0 };
          } else if (k > 0) h = { kind: 'encoder', row: rows[k - 1] };
        } else if (dir > 0) h = { kind: 'cross', step: Math.min(fsteps - 1, h.step + 1) };
        else h = h.step > 0 ? { kind: 'cross', step: h.step - 1 } : { kind: 'encoder', row: s.totalRows - 1 };
      }
    }
    o.setHover(h, o.pinned());
    o.reveal(h);
  }

  onKey(e: KeyboardEvent): void {
    const o = this.opts;
    const s = o.series();
    if (!s) return;
    const sel = o.selection();
    const heads = o.heads();
    const layers = o.layers();
    switch (e.key) {
      case 'ArrowRight':
        this.step(e.shiftKey ? 10 : 1);
        break;
      case 'ArrowLeft':
        this.step(e.shiftKey ? -10 : -1);
        break;
      case 'Home': {
        o.setHover({ kind: 'encoder', row: s.context.start }, o.pinned());
        o.reveal({ kind: 'encoder', row: s.context.start });
        break;
      }
      case 'End': {
        const fsteps = o.forecastSteps();
        const h: SeriesHover = fsteps ? { kind: 'cross', step: fsteps - 1 } : { kind: 'encoder', row: s.totalRows - 1 };
        o.setHover(h, o.pinned());
        o.reveal(h);
        break;
      }
      case 'ArrowUp':
      case 'ArrowDown': {
        if (!heads) return;
        const d = e.key === 'ArrowDown' ? 1 : -1;
        o.select({ mode: 'head', layer: sel.layer, head: sel.mode === 'head' ? (sel.head + d + heads) % heads : 0 });
        break;
      }
      case 'PageUp':
      case 'PageDown': {
        if (!layers) return;
        const d = e.key === 'PageDown' ? 1 : -1;
        o.select({ ...sel, layer: (sel.layer + d + layers) % layers } as HeadSelection);
        break;
      }
      case 'm':
      case 'M': {
        const order: HeadSelection['mode'][] = ['head', 'max', 'mean'];
        const mode = order[(order.indexOf(sel.mode) + 1) % order.length];
        o.select(mode === 'head' ? { mode, layer: sel.layer, head: 0 } : { mode, layer: sel.layer });
        break;
      }
      case '+':
      case '=':
        o.zoomBy(0.5);
        break;
      case '-':
      case '_':
        o.zoomBy(2);
        break;
      case '0':
        o.fitContext();
        break;
      case 'Escape': {
        const h = o.hover();
        if (o.pinned()) o.setHover(h, false);
        else o.setHover(undefined, false);
        break;
      }
      case 'Enter':
      case ' ': {
        const h = o.hover();
        if (h?.kind === 'encoder') o.revealRow(h.row);
        else if (!h || !o.stepMenu(h.step)) return;
        break;
      }
      case 'F10':
      case 'ContextMenu': {
        const h = o.hover();
        if ((e.key === 'F10' && !e.shiftKey) || h?.kind !== 'cross' || !o.stepMenu(h.step)) return;
        break;
      }
      default:
        return;
    }
    e.preventDefault();
  }
}
