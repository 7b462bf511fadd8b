/** The sweep atlas's marks (one a file) and the sections that lay them out. */
export * from './common';
export * from './size-chart';
export * from './counts';
export * from './mosaics';
export * from './ablations';
export * from './forecasts';
export * from './attributions';
export * from './tasks';
export * from './sections';
