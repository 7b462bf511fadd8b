/**
 * Pure D3 render functions: (data, options) → a new SVG (or table) element, no hidden state. They
 * run in a browser and in Node under jsdom (pass `{ document }`), and are shared by the Lit
 * components (webview/components), the exports and the CLI's standalone figures (cli/figures.ts).
 */
export * from './theme';
export * from './resolve-theme';
export * from './stats';
export * from './exports';
export * from './colors';
export * from './dom';
export * from './format';
export * from './mosaic';
export * from './ablation';
export * from './series-chart';
export * from './attention-strip';
export * from './head-sparklines';
export * from './series-overlay';
export * from './series-overview';
export * from './periodicity-strip';
export * from './series-domain';
export * from './figure-data';
export * from './atlas';
