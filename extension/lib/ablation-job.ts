/**
 * The ablation run the extension starts (Run Ablation… and "Ablate this head"): which heads, how,
 * on which data, against how many random control sets. vscode-free; the analysis engine's ablation is
 * imported lazily.
 */
import type { AblationResult, HeadRef } from '../../analysis/types';
import type { CsvSeries } from '../../core/csv';
import { ChronosLensError } from '../../core/errors';
import type { RunControl } from '../../core/progress';
import type { AnyModel } from '../../models/load';
import { t5Model } from './jobs';
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

export async function runAblationJob(anyModel: AnyModel, req: AblationRequest, control: RunControl): Promise<AblationResult> {
  checkAblationRequest(req);
  const { isBolt } = await import('../../models/load');
  const s = req.data !== 'inductionLoss' ? req.series : undefined;
  const heldOut = req.heldOut > 0 ? req.heldOut : undefined;
  const common = { heads: req.heads, method: req.method, controls: req.controls, controlSeed: req.seed, signal: control.signal, onProgress: control.onProgress };
  if (isBolt(anyModel)) {
    // Bolt reads patches, not tokens: its copy loss on repeated random patches stands for the induction loss
    const { runBoltAblationReport } = await import('../../analysis/bolt-ablation');
    return runBoltAblationReport(anyModel, { ...common, copyLoss: req.data === 'csv' ? undefined : {}, values: s?.values, file: s?.file, column: s?.column, heldOut });
  }
  const model = await t5Model(anyModel, 'Ablation');
  const { runAblation } = await import('../../analysis/ablation');
  return runAblation(model, {
    ...common,
    induction: req.data === 'csv' ? false : {},
    series: s ? { values: s.values, file: s.file, column: s.column, heldOut } : undefined,
  });
}
