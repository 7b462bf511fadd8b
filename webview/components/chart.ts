/**
 * <cl-chart>: hosts the element a render function returns, re-rendering it when the renderer
 * changes or the available width changes (ResizeObserver, in 8 px steps). For the ablation chart
 * and the series view's charts; the render functions stay pure, the sizing lives here.
 *
 * Properties: renderer ((ctx: { document, width }) => Element), minWidth (px, default 320).
 * The rendered element is in the shadow root (`chart.renderRoot.querySelector('svg')`).
 */
import { LitElement, css, html } from 'lit';
import { objectProps, numberProps, stateProps } from './properties';

export type ChartRenderer = (ctx: { document: Document; width: number }) => Element;

export class ClChart extends LitElement {
  static override properties = {
    ...objectProps('renderer'),
    ...numberProps('minWidth'),
    ...stateProps('_width'),
  };
  static override styles = css`
    :host {
      display: block;
      min-width: 0;
    }
    svg {
      display: block;
      max-width: 100%;
      height: auto;
    }
  `;

  declare renderer: ChartRenderer | undefined;
  declare minWidth: number;
  declare _width: number;
  #observer: ResizeObserver | undefined;
  #node: Element | undefined;
  #nodeKey: [ChartRenderer | undefined, number] = [undefined, 0];

  constructor() {
    super();
    this.renderer = undefined;
    this.minWidth = 320;
    this._width = 0;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (typeof ResizeObserver !== 'undefined') {
      this.#observer = new ResizeObserver((entries) => {
        const w = Math.floor((entries[0]?.contentRect.width ?? 0) / 8) * 8;
        // Next frame: changing layout inside the observer callback would re-trigger it.
        if (w > 0 && w !== this._width) requestAnimationFrame(() => (this._width = w));
      });
      this.#observer.observe(this);
    }
  }

  override disconnectedCallback(): void {
    this.#observer?.disconnect();
    super.disconnectedCallback();
  }

  /** The width the renderer gets: the measured width, or 760 before the first measurement. */
  get chartWidth(): number {
    return Math.max(this.minWidth, this._width || 760);
  }

  override render() {
    const w = this.chartWidth;
    if (this.renderer && (this.#nodeKey[0] !== this.renderer || this.#nodeKey[1] !== w || !this.#node)) {
      this.#node = this.renderer({ document: this.ownerDocument, width: w });
      this.#nodeKey = [this.renderer, w];
    }
    return html`${this.renderer ? this.#node : null}`;
  }
}

if (!customElements.get('cl-chart')) customElements.define('cl-chart', ClChart);

declare global {
  interface HTMLElementTagNameMap {
    'cl-chart': ClChart;
  }
}
