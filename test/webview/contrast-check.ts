/**
 * WCAG contrast in a webview page in Chromium, from the colours the page actually computes (VS Code's
 * theme variables resolved through the --cl-* tokens): every visible piece of text against what is
 * behind it (4.5:1, or 3:1 for large text: WCAG 1.4.3), and chosen marks against the background
 * they are drawn on (3:1 for graphical objects: WCAG 1.4.11).
 */
import type { Page } from 'playwright-core';
import { installPageDom, type PageDom } from './page-dom';

export interface MarkSpec {
  /** CSS selector (Playwright-style piercing is not used: matched in every shadow root). */
  selector: string;
  /** Which computed colour is the mark: its stroke, its fill, or its CSS border / text colour. */
  paint: 'stroke' | 'fill' | 'border' | 'color';
  /** What it is drawn on: the page background, or a fixed colour token (a CSS colour) composited over it. */
  over?: string;
}

export interface ContrastFinding {
  what: string;
  ratio: number;
  need: number;
}

/** Pieces of text and marks with less contrast than WCAG AA asks for (an empty list: all pass). */
export async function contrastProblems(page: Page, marks: MarkSpec[]): Promise<{ problems: ContrastFinding[]; checkedText: number; checkedMarks: number }> {
  await installPageDom(page);
  return page.evaluate((specs) => {
    type RGBA = [number, number, number, number];
    const probe = document.createElement('span');
    document.body.append(probe);
    /** Any CSS colour (names, var(), color-mix) as computed RGBA. */
    const parse = (css: string): RGBA => {
      probe.style.color = '';
      probe.style.color = css;
      const c = getComputedStyle(probe).color;
      const srgb = /color\(srgb ([^)]+)\)/.exec(c);
      if (srgb) {
        const p = srgb[1].split(/[ /]+/).filter(Boolean).map(Number);
        return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
      }
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) throw new Error(`cannot read the colour ${c} (from ${css})`);
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top: RGBA, bottom: RGBA): RGBA => {
      const a = top[3];
      return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
    };
    const lum = (c: RGBA) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const ratio = (a: RGBA, b: RGBA) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const { all: allElements, parentOf, visible } = (window as unknown as { __clDom: PageDom }).__clDom;
    const all = allElements();
    const page = parse(getComputedStyle(document.body).backgroundColor);
    /** What is behind an element: the backgrounds of its ancestors, composited over the page. */
    const behind = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = parentOf(e)) {
        if (e instanceof SVGElement) continue;
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      return layers.reverse().reduce((acc, c) => over(c, acc), page);
    };
    const name = (el: Element) => {
      const cls = el.getAttribute('class');
      return `${el.tagName.toLowerCase()}${cls ? '.' + cls.trim().split(/\s+/).join('.') : ''}`;
    };
    const problems: { what: string; ratio: number; need: number }[] = [];
    let checkedText = 0;
    for (const el of all) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim());
      if (!own || !visible(el) || el.closest('svg') && !(el instanceof SVGTextElement || el instanceof SVGTSpanElement)) continue;
      const cs = getComputedStyle(el);
      if (el instanceof HTMLElement && (el as HTMLButtonElement).disabled) continue; // WCAG exempts inactive controls
      let fg: RGBA;
      let bg: RGBA;
      if (el instanceof SVGElement) {
        fg = parse(cs.fill);
        // a mosaic's printed value sits on its cell's fill
        const svgRoot = el.closest('svg');
        const layer = el.getAttribute('data-layer');
        const cellFill = el.classList.contains('cell-value') ? el.closest('.panel')?.querySelector(`.cell[data-layer="${layer}"][data-head="${el.getAttribute('data-head')}"] .cell-fill`) : null;
        bg = cellFill ? over(parse(getComputedStyle(cellFill).fill), page) : svgRoot ? behind(svgRoot) : page;
      } else {
        fg = parse(cs.color);
        bg = behind(el);
      }
      fg = over([fg[0], fg[1], fg[2], fg[3] * Number(cs.opacity || 1)], bg);
      const size = parseFloat(cs.fontSize);
      const bold = Number(cs.fontWeight) >= 700;
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      const r = ratio(fg, bg);
      checkedText++;
      if (r < need) problems.push({ what: `text "${(el.textContent ?? '').trim().slice(0, 40)}" in ${name(el)} (${cs.color || cs.fill} on rgb(${bg.slice(0, 3).map(Math.round).join(',')}))`, ratio: Math.round(r * 100) / 100, need });
    }
    let checkedMarks = 0;
    for (const spec of specs) {
      for (const el of all) {
        if (!el.matches(spec.selector) || !visible(el)) continue;
        const cs = getComputedStyle(el);
        const paint = spec.paint === 'stroke' ? cs.stroke : spec.paint === 'fill' ? cs.fill : spec.paint === 'border' ? cs.borderTopColor : cs.color;
        const base = el instanceof SVGElement ? behind(el.closest('svg') ?? el) : behind(parentOf(el) ?? el);
        const bg = spec.over ? over(parse(spec.over), base) : base;
        const opacity = Number(cs.strokeOpacity && spec.paint === 'stroke' ? cs.strokeOpacity : 1) * Number(cs.opacity || 1);
        const c = parse(paint);
        const fg = over([c[0], c[1], c[2], c[3] * opacity], bg);
        const r = ratio(fg, bg);
        checkedMarks++;
        if (r < 3) problems.push({ what: `mark ${spec.selector} (${paint}) on rgb(${bg.slice(0, 3).map(Math.round).join(',')})`, ratio: Math.round(r * 100) / 100, need: 3 });
      }
    }
    probe.remove();
    return { problems, checkedText, checkedMarks };
  }, marks);
}
