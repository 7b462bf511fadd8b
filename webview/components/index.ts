/**
 * Lit components (no decorators: `static properties` + `declare` fields). Importing this module
 * defines every custom element. Generic pieces (cl-chart, cl-tabs, cl-tooltip, cl-action-menu,
 * cl-export-bar, cl-banner, cl-head-grid, cl-provenance) are shared by the views.
 */
export * from './types';
export * from './styles';
export * from './browser-export';
export * from './chart';
export * from './tabs';
export * from './tooltip';
export * from './action-menu';
export * from './export-bar';
export * from './banner';
export * from './head-grid';
export * from './provenance';
export * from './mosaic-view';
export * from './ablation-report';
export * from './atlas-view';
