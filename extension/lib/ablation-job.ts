/**
 * The ablation run the extension starts (Run Ablation… and "Ablate this head"): which heads, how,
 * on which data, against how many random control sets. vscode-free; the analysis engine's ablation is
 * imported lazily.
 */
import type { AblationResult, HeadRef } from '../../analysis/types';
import type { CsvSeries } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import type { RunControl } from '../../core/progress';
import type { ChronosModel } from '../../models/model';
import type { AblationData, AblationMethod } from './settings';

export interface AblationRequest {
  heads: HeadRef[];
  method: AblationMethod;
  data: AblationData;
  /** Random control head sets of the same size. */
  controls: number;
  seed: number;
  /** The CSV column for the forecast metrics (data 'csv' or 'both'). */
  series?: CsvSeries;
  /** Points held out at the end of the series; 0 = the model's prediction length. */
  heldOut: number;
}

export function checkAblationRequest(r: AblationRequest): void {
  if (r.heads.length === 0) throw new ChronosLensError('BAD_INPUT', 'no heads to ablate');
  if ((r.data === 'csv' || r.data === 'both') && !r.series) throw new ChronosLensError('BAD_INPUT', 'the forecast metrics need a CSV column, and none was given');
  if (!Number.isInteger(r.controls) || r.controls < 0) throw new ChronosLensError('BAD_INPUT', `the number of control sets must be a whole number >= 0, got ${r.controls}`);
}

export async function runAblationJob(model: ChronosModel, req: AblationRequest, control: RunControl): Promise<AblationResult> {
  checkAblationRequest(req);
  const { runAblation } = await import('../../analysis/ablation');
  const withCsv = req.data !== 'inductionLoss' && req.series;
  return runAblation(model, {
    heads: req.heads,
    method: req.method,
    controls: req.controls,
    controlSeed: req.seed,
    induction: req.data === 'csv' ? false : {},
    series: withCsv ? { values: req.series!.values, file: req.series!.file, column: req.series!.column, heldOut: req.heldOut > 0 ? req.heldOut : undefined } : undefined,
    signal: control.signal,
    onProgress: control.onProgress,
  });
}
