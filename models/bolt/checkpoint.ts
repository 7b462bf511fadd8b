/**
 * What the shared checkpoint reader (models/checkpoint.ts) needs to open a Chronos-Bolt folder: its
 * config parser and the tensors its graph reads (the T5 encoder-decoder's, with an embedding table of
 * one or two rows, and the two residual MLPs).
 */
import { ChronosLensError } from '../../core/errors';
import { CheckpointFormat, ExpectedTensor, expectedTensors } from '../checkpoint';
import { detectFamily, parseConfigJson } from '../family';
import { BoltModelConfig, parseBoltConfig } from './config';

export function boltExpectedTensors(c: BoltModelConfig): ExpectedTensor[] {
  const t = c.t5;
  const out = expectedTensors(t);
  const block = (prefix: string, inDim: number, outDim: number, what: string) => {
    const why = `${what}, from config.json`;
    out.push({ names: [`${prefix}.hidden_layer.weight`], shape: [t.dFf, inDim], why: `d_ff ${t.dFf} x ${why}` });
    out.push({ names: [`${prefix}.hidden_layer.bias`], shape: [t.dFf], why: `d_ff ${t.dFf}` });
    out.push({ names: [`${prefix}.output_layer.weight`], shape: [outDim, t.dFf], why: `${what.split(' x ')[0]} by d_ff ${t.dFf}` });
    out.push({ names: [`${prefix}.output_layer.bias`], shape: [outDim], why });
    out.push({ names: [`${prefix}.residual_layer.weight`], shape: [outDim, inDim], why });
    out.push({ names: [`${prefix}.residual_layer.bias`], shape: [outDim], why });
  };
  const b = c.bolt;
  block('input_patch_embedding', 2 * b.inputPatchSize, t.dModel, `d_model ${t.dModel} x 2 input_patch_size (${2 * b.inputPatchSize})`);
  block('output_patch_embedding', t.dModel, b.quantiles.length * b.predictionLength, `${b.quantiles.length} quantiles x prediction_length ${b.predictionLength} x d_model ${t.dModel}`);
  return out;
}

export const BOLT_CHECKPOINT: CheckpointFormat<BoltModelConfig> = {
  parseConfig(text: string, file: string): BoltModelConfig {
    const raw = parseConfigJson(text, file);
    const family = detectFamily(raw, file);
    if (family !== 'chronos-bolt') throw new ChronosLensError('BAD_CONFIG', `${file}: expected a Chronos-Bolt config (architectures ChronosBoltModelForForecasting), found a ${family} one`);
    return parseBoltConfig(raw, file);
  },
  expectedTensors: boltExpectedTensors,
};
