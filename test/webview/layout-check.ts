/**
 * Layout checks for a webview page in Chromium, across shadow roots: every visible piece of text
 * (HTML text, line by line, and SVG <text>) lies inside the viewport and inside every ancestor that
 * clips it (overflow other than visible, an <svg> root that does not show its overflow); no element
 * scrolls sideways (a clipped or hidden overflow); no two pieces of text overlap; no two laid-out
 * siblings (blocks, SVGs, controls) overlap. What it reports is a list of readable lines: an empty
 * list is a clean layout.
 */
import type { Page } from 'playwright-core';
import { installPageDom, type PageDom } from './page-dom';

export interface LayoutProblem {
  kind: 'clipped' | 'outside-viewport' | 'scrolls' | 'text-overlap' | 'box-overlap';
  what: string;
}

/**
 * Runs the checks in the page. `ignore` is a CSS selector (within any shadow root) whose subtrees are
 * skipped; text inside `overlays` (floating widgets meant to cover the page: tooltips, menus) may
 * cover other text, and is checked for clipping like any other.
 */
export async function layoutProblems(page: Page, ignore = '', overlays = 'cl-tooltip, cl-action-menu'): Promise<LayoutProblem[]> {
  await installPageDom(page);
  return page.evaluate(([ignoreSel, overlaySel]) => {
    const problems: { kind: string; what: string }[] = [];
    const TOL = 1.5;
    type R = { left: number; top: number; right: number; bottom: number };
    const { all: allElements, parentOf, visible } = (window as unknown as { __clDom: PageDom }).__clDom;
    const all = allElements();
    const ignored = new Set<Element>();
    if (ignoreSel) for (const el of all) if (el.matches(ignoreSel)) ignored.add(el);
    const overlayRoots = new Set<Element>();
    for (const el of all) if (el.matches(overlaySel)) overlayRoots.add(el);
    const overlayOf = (el: Element): Element | undefined => {
      for (let e: Element | null = el; e; e = parentOf(e)) if (overlayRoots.has(e)) return e;
      return undefined;
    };
    const isIgnored = (el: Element): boolean => {
      for (let e: Element | null = el; e; e = parentOf(e)) if (ignored.has(e)) return true;
      return false;
    };
    const name = (el: Element): string => {
      const parts: string[] = [];
      for (let e: Element | null = el; e && parts.length < 4; e = parentOf(e)) {
        const cls = typeof e.className === 'string' ? e.className : (e.getAttribute('class') ?? '');
        parts.unshift(`${e.tagName.toLowerCase()}${cls ? '.' + cls.trim().split(/\s+/).join('.') : ''}`);
      }
      return parts.join(' > ');
    };
    const fmt = (r: R) => `[${Math.round(r.left)},${Math.round(r.top)} → ${Math.round(r.right)},${Math.round(r.bottom)}]`;
    const clips = (e: Element): boolean => {
      const cs = getComputedStyle(e);
      if (e instanceof SVGSVGElement) return cs.overflow !== 'visible' && cs.overflowX !== 'visible';
      return cs.overflowX !== 'visible' || cs.overflowY !== 'visible';
    };
    /** Boxes of the pieces of text: one per line of an HTML text node, one per SVG <text>. */
    const texts: { el: Element; r: R; s: string }[] = [];
    for (const el of all) {
      if (isIgnored(el)) continue;
      if (el instanceof SVGTextElement) {
        const s = (el.textContent ?? '').trim();
        if (!s || !visible(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 0 && r.height > 0) texts.push({ el, r, s });
        continue;
      }
      if (el instanceof SVGElement) continue;
      for (const n of Array.from(el.childNodes)) {
        if (n.nodeType !== Node.TEXT_NODE || !(n.textContent ?? '').trim()) continue;
        if (!visible(el)) break;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of Array.from(range.getClientRects())) if (r.width > 0.5 && r.height > 0.5) texts.push({ el, r, s: (n.textContent ?? '').trim().slice(0, 40) });
      }
    }
    const vw = document.documentElement.clientWidth;
    for (const t of texts) {
      if (t.r.left < -TOL || t.r.right > vw + TOL) problems.push({ kind: 'outside-viewport', what: `"${t.s}" ${fmt(t.r)} in ${name(t.el)} (viewport width ${vw})` });
      for (let e = parentOf(t.el); e; e = parentOf(e)) {
        if (e === document.documentElement || e === document.body || !clips(e)) continue;
        const c = e.getBoundingClientRect();
        if (t.r.left < c.left - TOL || t.r.right > c.right + TOL || t.r.top < c.top - TOL || t.r.bottom > c.bottom + TOL) {
          problems.push({ kind: 'clipped', what: `"${t.s}" ${fmt(t.r)} clipped by ${name(e)} ${fmt(c)}` });
          break;
        }
      }
    }
    for (const el of all) {
      if (isIgnored(el) || !(el instanceof HTMLElement) || !visible(el)) continue;
      const cs = getComputedStyle(el);
      if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) problems.push({ kind: 'scrolls', what: `${name(el)}: content ${el.scrollWidth} px wide in ${el.clientWidth} px` });
    }
    const doc = document.scrollingElement;
    if (doc && doc.scrollWidth > doc.clientWidth + 1) {
      // name the innermost boxes that stick out
      const out = all.filter((el) => !isIgnored(el) && visible(el) && el.getBoundingClientRect().right > vw + TOL);
      const innermost = out.filter((el) => !out.some((o) => o !== el && el.contains(o))).slice(0, 3);
      problems.push({ kind: 'scrolls', what: `the page: ${doc.scrollWidth} px wide in ${doc.clientWidth} px (${innermost.map((el) => `${name(el)} ${fmt(el.getBoundingClientRect())}`).join('; ')})` });
    }
    const overlap = (a: R, b: R) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > TOL && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > TOL;
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i];
        const b = texts[j];
        if (a.el === b.el || a.el.contains(b.el) || b.el.contains(a.el)) continue;
        if (overlayOf(a.el) !== overlayOf(b.el)) continue;
        if (overlap(a.r, b.r)) problems.push({ kind: 'text-overlap', what: `"${a.s}" ${fmt(a.r)} in ${name(a.el)} overlaps "${b.s}" ${fmt(b.r)} in ${name(b.el)}` });
      }
    }
    // Siblings in the flow (positioned overlays such as tooltips and menus are meant to cover).
    const kids = new Map<Element, Element[]>();
    for (const el of all) {
      if (isIgnored(el) || el instanceof SVGElement && !(el instanceof SVGSVGElement)) continue;
      const p = parentOf(el);
      if (!p || p instanceof SVGElement) continue;
      const cs = getComputedStyle(el);
      if (cs.position === 'absolute' || cs.position === 'fixed' || cs.display === 'contents' || cs.display === 'inline' || !visible(el)) continue;
      const list = kids.get(p) ?? [];
      list.push(el);
      kids.set(p, list);
    }
    for (const list of kids.values()) {
      const boxes = list.map((el) => ({ el, r: el.getBoundingClientRect() })).filter((b) => b.r.width > 0 && b.r.height > 0);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          if (overlap(boxes[i].r, boxes[j].r)) problems.push({ kind: 'box-overlap', what: `${name(boxes[i].el)} ${fmt(boxes[i].r)} overlaps ${name(boxes[j].el)} ${fmt(boxes[j].r)}` });
        }
      }
    }
    return problems as never;
  }, [ignore, overlays] as const);
}
