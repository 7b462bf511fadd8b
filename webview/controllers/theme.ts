/**
 * The theme's concrete colours for what a canvas draws (a canvas cannot resolve CSS variables): read
 * from the host's computed style once, and again when VS Code switches the theme (it changes
 * <body>'s class and the variables on <html>), which also asks the host to draw again.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { resolveTheme } from '../render/resolve-theme';
import type { ChartTheme } from '../render/theme';

export class ThemeController implements ReactiveController {
  #theme: ChartTheme | undefined;
  #observer: MutationObserver | undefined;

  constructor(private readonly host: ReactiveControllerHost & Element) {
    host.addController(this);
  }

  hostConnected(): void {
    const doc = this.host.ownerDocument;
    this.#observer = new MutationObserver(() => {
      this.#theme = undefined;
      this.host.requestUpdate();
    });
    for (const el of [doc.documentElement, doc.body]) if (el) this.#observer.observe(el, { attributes: true, attributeFilter: ['class', 'style'] });
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#theme = undefined;
  }

  /** The theme in effect at the host, resolved to concrete colours. */
  get theme(): ChartTheme {
    this.#theme ??= resolveTheme(this.host);
    return this.#theme;
  }
}
