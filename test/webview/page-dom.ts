/**
 * Page-side helpers the Chromium checks share (layout-check.ts, contrast-check.ts): every element
 * of the page across shadow roots, the flattened tree's parent, and whether an element is drawn at
 * all. Installed once per page as `window.__clDom` (functions passed to page.evaluate cannot import).
 */
import type { Page } from 'playwright-core';

export interface PageDom {
  /** Every element, shadow roots included, in document order. */
  all(): Element[];
  /** The parent in the flattened (composed) tree: a slotted element's slot, a shadow root's host. */
  parentOf(el: Element): Element | null;
  /** Drawn: no hidden, undisplayed or transparent ancestor, not visually-hidden screen-reader text. */
  visible(el: Element): boolean;
}

export async function installPageDom(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __clDom?: PageDom };
    if (w.__clDom) return;
    const parentOf = (el: Element): Element | null => {
      if (el.assignedSlot) return el.assignedSlot;
      if (el.parentElement) return el.parentElement;
      const root = el.parentNode;
      return root instanceof ShadowRoot ? root.host : null;
    };
    w.__clDom = {
      all() {
        const out: Element[] = [];
        const walk = (root: Document | ShadowRoot | Element) => {
          for (const el of Array.from(root.children)) {
            out.push(el);
            if (el.shadowRoot) walk(el.shadowRoot);
            walk(el);
          }
        };
        walk(document);
        return out;
      },
      parentOf,
      visible(el) {
        for (let e: Element | null = el; e; e = parentOf(e)) {
          const cs = getComputedStyle(e);
          if (cs.display === 'none' || cs.visibility === 'hidden' || cs.opacity === '0') return false;
          if (e.getAttribute('visibility') === 'hidden' || e.getAttribute('display') === 'none') return false;
          if (cs.position === 'absolute' && (cs.clip === 'rect(0px, 0px, 0px, 0px)' || cs.clipPath === 'inset(50%)')) return false;
        }
        return true;
      },
    };
  });
}
