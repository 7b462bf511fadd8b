/** Sweeps: plan, run, status, merge and cluster submission files (host-free; the CLI adapts them). */
export * from './spec';
export * from './plan';
export * from './run';
export * from './merge';
export * from './engines';
export type { ForecastMetricsResult, SweepAnalysisResult } from './tasks';
