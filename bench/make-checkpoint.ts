/**
 * A random-weight chronos-t5 checkpoint at a real config, without Python: config.json,
 * generation_config.json and one float32 model.safetensors with the tensor names and shapes
 * tools/reference/make_checkpoints.py --real writes (tied embeddings, relu FFN). For machines that have
 * Node but not the pinned Python stack (bench/gpu.sh on a GPU host). The weights are not the Python
 * script's (another generator); only timings and CUDA-against-CPU agreement are measured with them.
 *
 *   npx tsx bench/make-checkpoint.ts --size small --out bench/checkpoints [--seed 2024]
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, writeSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const SIZES: Record<string, { d_model: number; d_ff: number; num_heads: number; num_layers: number }> = {
  tiny: { d_model: 256, d_ff: 1024, num_heads: 4, num_layers: 4 },
  mini: { d_model: 384, d_ff: 1536, num_heads: 8, num_layers: 4 },
  small: { d_model: 512, d_ff: 2048, num_heads: 8, num_layers: 6 },
  base: { d_model: 768, d_ff: 3072, num_heads: 12, num_layers: 12 },
  large: { d_model: 1024, d_ff: 4096, num_heads: 16, num_layers: 24 },
};
const D_KV = 64;
const VOCAB = 4096;
const BUCKETS = 32;

interface Spec {
  name: string;
  shape: number[];
  /** Standard deviation of the uniform draw; 'ones' for layer norms. */
  std: number | 'ones';
}

function tensors(c: (typeof SIZES)[string]): Spec[] {
  const d = c.d_model, inner = c.num_heads * D_KV, ff = c.d_ff;
  const out: Spec[] = [];
  const attn = (prefix: string, kind: string, bias: boolean) => {
    for (const p of ['q', 'k', 'v']) out.push({ name: `${prefix}.${kind}.${p}.weight`, shape: [inner, d], std: 1 / Math.sqrt(d) });
    out.push({ name: `${prefix}.${kind}.o.weight`, shape: [d, inner], std: 1 / Math.sqrt(inner) });
    if (bias) out.push({ name: `${prefix}.${kind}.relative_attention_bias.weight`, shape: [BUCKETS, c.num_heads], std: 0.1 });
  };
  const ffn = (prefix: string) => {
    out.push({ name: `${prefix}.DenseReluDense.wi.weight`, shape: [ff, d], std: 1 / Math.sqrt(d) });
    out.push({ name: `${prefix}.DenseReluDense.wo.weight`, shape: [d, ff], std: 1 / Math.sqrt(ff) });
  };
  for (let i = 0; i < c.num_layers; i++) {
    const b = `encoder.block.${i}`;
    attn(`${b}.layer.0`, 'SelfAttention', i === 0);
    out.push({ name: `${b}.layer.0.layer_norm.weight`, shape: [d], std: 'ones' });
    ffn(`${b}.layer.1`);
    out.push({ name: `${b}.layer.1.layer_norm.weight`, shape: [d], std: 'ones' });
  }
  out.push({ name: 'encoder.final_layer_norm.weight', shape: [d], std: 'ones' });
  for (let i = 0; i < c.num_layers; i++) {
    const b = `decoder.block.${i}`;
    attn(`${b}.layer.0`, 'SelfAttention', i === 0);
    out.push({ name: `${b}.layer.0.layer_norm.weight`, shape: [d], std: 'ones' });
    attn(`${b}.layer.1`, 'EncDecAttention', false);
    out.push({ name: `${b}.layer.1.layer_norm.weight`, shape: [d], std: 'ones' });
    ffn(`${b}.layer.2`);
    out.push({ name: `${b}.layer.2.layer_norm.weight`, shape: [d], std: 'ones' });
  }
  out.push({ name: 'decoder.final_layer_norm.weight', shape: [d], std: 'ones' });
  out.push({ name: 'shared.weight', shape: [VOCAB, d], std: 1 });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function config(size: string, c: (typeof SIZES)[string]): Record<string, unknown> {
  return {
    architectures: ['T5ForConditionalGeneration'],
    chronos_config: {
      context_length: 512, eos_token_id: 1, model_type: 'seq2seq', n_special_tokens: 2, n_tokens: VOCAB, num_samples: 20, pad_token_id: 0,
      prediction_length: 64, temperature: 1.0, tokenizer_class: 'MeanScaleUniformBins', tokenizer_kwargs: { high_limit: 15.0, low_limit: -15.0 }, top_k: 50, top_p: 1.0, use_eos_token: true,
    },
    classifier_dropout: 0.0, d_ff: c.d_ff, d_kv: D_KV, d_model: c.d_model, decoder_start_token_id: 0, dense_act_fn: 'relu', dropout_rate: 0.1, eos_token_id: 1,
    feed_forward_proj: 'relu', initializer_factor: 0.05, is_encoder_decoder: true, is_gated_act: false, layer_norm_epsilon: 1e-6, model_type: 't5', n_positions: 512,
    num_decoder_layers: c.num_layers, num_heads: c.num_heads, num_layers: c.num_layers, pad_token_id: 0, relative_attention_max_distance: 128,
    relative_attention_num_buckets: BUCKETS, torch_dtype: 'float32', use_cache: true, vocab_size: VOCAB,
    _comment: `random weights at the chronos-t5-${size} config (bench/make-checkpoint.ts)`,
  };
}

export function makeCheckpoint(size: string, outRoot: string, seed = 2024): string {
  const c = SIZES[size];
  if (!c) throw new Error(`--size ${size}: one of ${Object.keys(SIZES).join(', ')}`);
  const dir = path.join(outRoot, `chronos-t5-${size}-random`);
  if (existsSync(path.join(dir, 'model.safetensors'))) return dir;
  mkdirSync(dir, { recursive: true });
  const specs = tensors(c);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const s of specs) {
    const bytes = 4 * s.shape.reduce((a, b) => a * b, 1);
    header[s.name] = { dtype: 'F32', shape: s.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // the format pads the header to 8 bytes
  const tmp = path.join(dir, `.model.safetensors.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json, 'utf8'));
    let s = seed >>> 0;
    for (const spec of specs) {
      const n = spec.shape.reduce((a, b) => a * b, 1);
      const a = new Float32Array(n);
      if (spec.std === 'ones') a.fill(1);
      else {
        const scale = spec.std * Math.sqrt(3) * 2; // uniform on [-std*sqrt(3), std*sqrt(3)] has that std
        for (let i = 0; i < n; i++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          a[i] = (s / 2 ** 32 - 0.5) * scale;
        }
      }
      writeSync(fd, new Uint8Array(a.buffer));
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config(size, c), null, 2) + '\n');
  writeFileSync(path.join(dir, 'generation_config.json'), JSON.stringify({ decoder_start_token_id: 0, eos_token_id: 1, pad_token_id: 0 }, null, 2) + '\n');
  renameSync(tmp, path.join(dir, 'model.safetensors'));
  return dir;
}

if (require.main === module) {
  const { values: a } = parseArgs({ options: { size: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string', default: '2024' } } });
  if (!a.size || !a.out) {
    console.error('usage: npx tsx bench/make-checkpoint.ts --size tiny|mini|small|base|large --out DIR [--seed N]');
    process.exit(2);
  }
  for (const size of a.size.split(',')) console.log(makeCheckpoint(size, a.out, Number(a.seed)));
}
