/**
 * The data flags every `ablate` mode measures with (head ablation in ./ablate, layer ablation in
 * ./ablate-layers): the synthetic induction batch and the held-out points of a CSV, with their checks.
 * Its own module so that both import it: ./ablate already imports ./ablate-layers.
 */
import { ChronosLensError } from '../../core/errors';
import { PROTOCOL_DEFAULTS } from '../../analysis/tokens';
import { intFlag, vocabFlag } from '../common';

export const ABLATE_DATA_OPTIONS = {
  batch: { type: 'string' },
  'seq-len': { type: 'string' },
  repeats: { type: 'string' },
  'sub-extension': { type: 'string' },
  vocab: { type: 'string' },
  'token-seed': { type: 'string' },
  'no-induction': { type: 'boolean' },
  csv: { type: 'string' },
  column: { type: 'string' },
  'held-out': { type: 'string' },
  period: { type: 'string' },
  samples: { type: 'string' },
  'forecast-seed': { type: 'string' },
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
