/**
 * The data flags every `ablate` mode measures with (head ablation in ./ablate, layer ablation in
 * ./ablate-layers): the synthetic induction batch and the held-out points of a CSV, with their checks.
 * Its own module so that both import it: ./ablate already imports ./ablate-layers.
 */
import { ChronosLensError } from '../../core/errors';
import { PROTOCOL_DEFAULTS } from '../../analysis/tokens';
import type { CopyLossOptions } from '../../analysis/copy-loss';
import type { CopyLossSummary } from '../../analysis/types';
import { flags, intFlag, strings, vocabFlag } from '../common';

export const ABLATE_DATA_OPTIONS = {
  ...strings('batch', 'seq-len', 'repeats', 'sub-extension', 'vocab', 'token-seed'),
  ...flags('no-induction', 'copy-loss'),
  ...strings('copy-period', 'csv', 'column', 'held-out', 'period', 'samples', 'forecast-seed'),
  json: { type: 'boolean' },
  out: { type: 'string' },
} as const;

type DataValues = { [K in keyof typeof ABLATE_DATA_OPTIONS]?: (typeof ABLATE_DATA_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The induction batch's settings (undefined: the protocol's default). */
export function readInductionFlags(values: DataValues) {
  const induction = {
    batch: intFlag(values.batch, 'batch', 'inductionBatch'),
    seqLen: intFlag(values['seq-len'], 'seq-len', 'seqLen'),
    repeats: intFlag(values.repeats, 'repeats', 'repeats'),
    subExtension: intFlag(values['sub-extension'], 'sub-extension', 'subExtension'),
    vocab: vocabFlag(values.vocab),
    seed: intFlag(values['token-seed'], 'token-seed', 'seed'),
  };
  if (induction.subExtension !== undefined && induction.subExtension >= (induction.seqLen ?? PROTOCOL_DEFAULTS.seqLen)) {
    throw new ChronosLensError('BAD_INPUT', `--sub-extension must be smaller than --seq-len (${induction.seqLen ?? PROTOCOL_DEFAULTS.seqLen}), got ${induction.subExtension}`);
  }
  return induction;
}

/**
 * Chronos-Bolt's copy loss (--copy-loss): the patch protocol's batch from the induction flags (--seq-len
 * counts patches per repeat) or --copy-period V values per repeat (the sub-patch variant); undefined
 * without --copy-loss.
 */
export function readCopyFlags(values: DataValues, induction: ReturnType<typeof readInductionFlags>): CopyLossOptions | undefined {
  if (values['copy-period'] !== undefined && !values['copy-loss']) throw new ChronosLensError('BAD_INPUT', '--copy-period goes with --copy-loss');
  if (!values['copy-loss']) return undefined;
  const period = intFlag(values['copy-period'], 'copy-period', 'mosaicPeriod');
  if (period !== undefined && induction.seqLen !== undefined) throw new ChronosLensError('BAD_INPUT', 'give --seq-len (patches per repeat) or --copy-period (values per repeat), not both');
  return { batch: induction.batch, patchesPerRepeat: induction.seqLen, period, repeats: induction.repeats, subExtension: induction.subExtension, seed: induction.seed };
}

/** The forecast-metric settings, which need --csv; and --no-induction, which needs something else to measure. */
export function readSeriesFlags(values: DataValues) {
  if (values['no-induction'] && !values.csv) throw new ChronosLensError('BAD_INPUT', '--no-induction leaves nothing to measure without --csv');
  for (const f of ['column', 'held-out', 'period', 'samples', 'forecast-seed'] as const) if (values[f] !== undefined && !values.csv) throw new ChronosLensError('BAD_INPUT', `--${f} needs --csv FILE`);
  return {
    heldOut: intFlag(values['held-out'], 'held-out', 'heldOut'),
    period: intFlag(values.period, 'period', 'period'),
    numSamples: intFlag(values.samples, 'samples', 'numSamples'),
    seed: intFlag(values['forecast-seed'], 'forecast-seed', 'seed'),
  };
}

/** The text report's line that says what the copy loss was measured on. */
export function copyLossLine(c: CopyLossSummary | undefined): string {
  return c ? `copy loss: ${c.batch} contexts of ${c.period} values repeated ${c.repeats} times (+${c.subExtension} patches), the next ${c.horizon} values scored` : '';
}
