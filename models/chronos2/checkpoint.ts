/**
 * What the shared checkpoint reader (models/checkpoint.ts) needs to open a Chronos-2 folder: its
 * config parser and the tensors its graph reads (the [PAD]/[REG] embedding, the two residual MLPs and
 * each encoder block's time attention, group attention and feed-forward), under the names
 * Chronos2Model saves.
 */
import { ChronosLensError } from '../../core/errors';
import { CheckpointFormat, ExpectedTensor } from '../checkpoint';
import { detectFamily, parseConfigJson } from '../family';
import { Chronos2ModelConfig, parseChronos2Config } from './config';

export function chronos2ExpectedTensors(c: Chronos2ModelConfig): ExpectedTensor[] {
  const t = c.t5;
  const x = c.chronos2;
  const inner = t.numHeads * t.dKv;
  const out: ExpectedTensor[] = [];
  const add = (name: string, shape: number[], why: string) => out.push({ names: [name], shape, why });
  add('shared.weight', [t.vocabSize, t.dModel], `${t.vocabSize} special token${t.vocabSize > 1 ? 's ([PAD], [REG])' : ' ([PAD])'} x d_model ${t.dModel}`);
  const block = (prefix: string, inDim: number, outDim: number, what: string) => {
    add(`${prefix}.hidden_layer.weight`, [t.dFf, inDim], `d_ff ${t.dFf} x ${what}`);
    add(`${prefix}.hidden_layer.bias`, [t.dFf], `d_ff ${t.dFf}`);
    add(`${prefix}.output_layer.weight`, [outDim, t.dFf], `${outDim} outputs x d_ff ${t.dFf}`);
    add(`${prefix}.output_layer.bias`, [outDim], `${outDim} outputs`);
    add(`${prefix}.residual_layer.weight`, [outDim, inDim], `${outDim} outputs x ${what}`);
    add(`${prefix}.residual_layer.bias`, [outDim], `${outDim} outputs`);
  };
  block('input_patch_embedding', 3 * x.patchSize, t.dModel, `3 x input_patch_size (${3 * x.patchSize}: time encoding, values, mask)`);
  for (let l = 0; l < t.numLayers; l++) {
    for (const j of [0, 1]) {
      const a = `encoder.block.${l}.layer.${j}`;
      add(`${a}.layer_norm.weight`, [t.dModel], `d_model ${t.dModel}`);
      for (const p of ['q', 'k', 'v']) add(`${a}.self_attention.${p}.weight`, [inner, t.dModel], `num_heads ${t.numHeads} x d_kv ${t.dKv} by d_model ${t.dModel}`);
      add(`${a}.self_attention.o.weight`, [t.dModel, inner], `d_model ${t.dModel} by num_heads ${t.numHeads} x d_kv ${t.dKv}`);
    }
    const f = `encoder.block.${l}.layer.2`;
    add(`${f}.layer_norm.weight`, [t.dModel], `d_model ${t.dModel}`);
    add(`${f}.mlp.wi.weight`, [t.dFf, t.dModel], `d_ff ${t.dFf} x d_model ${t.dModel}`);
    add(`${f}.mlp.wo.weight`, [t.dModel, t.dFf], `d_model ${t.dModel} x d_ff ${t.dFf}`);
  }
  add('encoder.final_layer_norm.weight', [t.dModel], `d_model ${t.dModel}`);
  block('output_patch_embedding', t.dModel, x.quantiles.length * x.patchSize, `d_model ${t.dModel} (${x.quantiles.length} quantiles x output_patch_size ${x.patchSize} outputs)`);
  return out;
}

export const CHRONOS2_CHECKPOINT: CheckpointFormat<Chronos2ModelConfig> = {
  parseConfig(text: string, file: string): Chronos2ModelConfig {
    const raw = parseConfigJson(text, file);
    const family = detectFamily(raw, file);
    if (family !== 'chronos-2') throw new ChronosLensError('BAD_CONFIG', `${file}: expected a Chronos-2 config (architectures Chronos2Model), found a ${family} one`);
    return parseChronos2Config(raw, file);
  },
  expectedTensors: chronos2ExpectedTensors,
};
