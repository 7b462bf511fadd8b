/**
 * The readout convention of the residual-stream panel's marks: every mark a reader can hover or step
 * to carries class `cl-mark`, its readout text in `data-readout` (the component shows it in a live
 * region and a hover card) and the same text as its <title> (the native tooltip, and what exported
 * SVGs keep).
 */
import { title, type AnySel } from './dom';

export const MARK_CLASS = 'cl-mark';

export function readoutMark<S extends AnySel>(sel: S, readout: string, className?: string): S {
  sel.attr('class', className ? `${MARK_CLASS} ${className}` : MARK_CLASS).attr('data-readout', readout);
  title(sel, readout);
  return sel;
}
