/**
 * A Chronos checkpoint folder as Hugging Face saves it: `config.json` (with `chronos_config`) and
 * `model.safetensors` or a sharded `model.safetensors.index.json`. Everything is validated up front
 * (config fields, every tensor the graph needs present with the right shape and a float dtype), so a
 * bad checkpoint fails at load time with a message naming the file and tensor, never mid-run.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ChronosLensError } from '../core/errors';
import { ModelConfig, T5Config, parseModelConfig } from './config';
import { SafetensorsFile, TensorInfo, isFloatDtype } from './safetensors';

export interface ExpectedTensor {
  /** Candidate names, in order of preference (the first present one is used). */
  names: string[];
  shape: number[];
  why: string;
}

/** The tensors a T5 encoder-decoder of this config needs, with their HF names and shapes. */
export function expectedTensors(c: T5Config): ExpectedTensor[] {
  const inner = c.numHeads * c.dKv;
  const out: ExpectedTensor[] = [];
  const add = (name: string | string[], shape: number[], why: string) => out.push({ names: Array.isArray(name) ? name : [name], shape, why });
  add(['shared.weight', 'encoder.embed_tokens.weight', 'decoder.embed_tokens.weight'], [c.vocabSize, c.dModel], `vocab_size ${c.vocabSize} x d_model ${c.dModel}`);
  const attn = (prefix: string, withBias: boolean) => {
    for (const p of ['q', 'k', 'v']) add(`${prefix}.${p}.weight`, [inner, c.dModel], `num_heads ${c.numHeads} x d_kv ${c.dKv} by d_model ${c.dModel}`);
    add(`${prefix}.o.weight`, [c.dModel, inner], `d_model ${c.dModel} by num_heads ${c.numHeads} x d_kv ${c.dKv}`);
    if (withBias) add(`${prefix}.relative_attention_bias.weight`, [c.relativeAttentionNumBuckets, c.numHeads], `relative_attention_num_buckets ${c.relativeAttentionNumBuckets} x num_heads ${c.numHeads}`);
  };
  const ff = (prefix: string) => {
    if (c.feedForwardProj === 'gated-gelu') {
      add(`${prefix}.DenseReluDense.wi_0.weight`, [c.dFf, c.dModel], `d_ff ${c.dFf} x d_model ${c.dModel}`);
      add(`${prefix}.DenseReluDense.wi_1.weight`, [c.dFf, c.dModel], `d_ff ${c.dFf} x d_model ${c.dModel}`);
    } else {
      add(`${prefix}.DenseReluDense.wi.weight`, [c.dFf, c.dModel], `d_ff ${c.dFf} x d_model ${c.dModel}`);
    }
    add(`${prefix}.DenseReluDense.wo.weight`, [c.dModel, c.dFf], `d_model ${c.dModel} x d_ff ${c.dFf}`);
    add(`${prefix}.layer_norm.weight`, [c.dModel], `d_model ${c.dModel}`);
  };
  for (let i = 0; i < c.numLayers; i++) {
    const b = `encoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    add(`${b}.0.layer_norm.weight`, [c.dModel], `d_model ${c.dModel}`);
    ff(`${b}.1`);
  }
  add('encoder.final_layer_norm.weight', [c.dModel], `d_model ${c.dModel}`);
  for (let i = 0; i < c.numDecoderLayers; i++) {
    const b = `decoder.block.${i}.layer`;
    attn(`${b}.0.SelfAttention`, i === 0);
    add(`${b}.0.layer_norm.weight`, [c.dModel], `d_model ${c.dModel}`);
    attn(`${b}.1.EncDecAttention`, false);
    add(`${b}.1.layer_norm.weight`, [c.dModel], `d_model ${c.dModel}`);
    ff(`${b}.2`);
  }
  add('decoder.final_layer_norm.weight', [c.dModel], `d_model ${c.dModel}`);
  if (!c.tieWordEmbeddings) add('lm_head.weight', [c.vocabSize, c.dModel], `vocab_size ${c.vocabSize} x d_model ${c.dModel} (tie_word_embeddings is false)`);
  return out;
}

export interface Checkpoint {
  dir: string;
  /** A display name: the folder name, or the Hugging Face repo id when the folder is a hub snapshot. */
  name: string;
  config: ModelConfig;
  configText: string;
  /** Weight files, in a stable order. */
  files: string[];
  /** Canonical tensor name (the first candidate in expectedTensors) -> where it lives. */
  tensors: Map<string, TensorInfo>;
  /** Reads a tensor (by canonical name) as float32. */
  read(name: string): Promise<Float32Array>;
  /** Total bytes of weight data, as float32. */
  float32Bytes: number;
}

function displayName(dir: string): string {
  // huggingface_hub layout: .../models--owner--name/snapshots/<rev>
  const parts = path.resolve(dir).split(path.sep);
  const i = parts.lastIndexOf('snapshots');
  if (i > 0 && parts[i - 1].startsWith('models--')) return parts[i - 1].slice('models--'.length).split('--').join('/');
  return parts[parts.length - 1] || dir;
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p);
    return true;
  } catch {
    return false;
  }
}

/** Opens and validates a checkpoint folder. Reads headers only; tensors are read on demand. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const abs = path.resolve(dir);
  let st;
  try {
    st = await fsp.stat(abs);
  } catch {
    throw new ChronosLensError('NOT_FOUND', `model folder not found: ${abs}`);
  }
  if (!st.isDirectory()) throw new ChronosLensError('BAD_CHECKPOINT', `${abs} is not a folder; a Chronos checkpoint is a folder with config.json and model.safetensors`);
  const cfgPath = path.join(abs, 'config.json');
  let configText: string;
  try {
    configText = await fsp.readFile(cfgPath, 'utf8');
  } catch {
    throw new ChronosLensError('NOT_FOUND', `${cfgPath} not found: a Chronos checkpoint folder needs config.json`);
  }
  const config = parseModelConfig(configText, cfgPath);

  const single = path.join(abs, 'model.safetensors');
  const index = path.join(abs, 'model.safetensors.index.json');
  let files: string[];
  let weightMap: Map<string, string> | undefined;
  if (await exists(single)) {
    files = [single];
  } else if (await exists(index)) {
    let idx: unknown;
    try {
      idx = JSON.parse(await fsp.readFile(index, 'utf8'));
    } catch (e) {
      throw new ChronosLensError('BAD_CHECKPOINT', `${index}: not valid JSON (${(e as Error).message})`);
    }
    const wm = (idx as { weight_map?: unknown })?.weight_map;
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new ChronosLensError('BAD_CHECKPOINT', `${index}: expected a "weight_map" object mapping tensor names to shard files`);
    weightMap = new Map();
    for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.includes('/') || v.includes('\\') || v === '..') {
        throw new ChronosLensError('BAD_CHECKPOINT', `${index}: weight_map["${k}"] must be a shard file name in the same folder, got ${JSON.stringify(v)}`);
      }
      weightMap.set(k, path.join(abs, v));
    }
    files = [...new Set(weightMap.values())].sort();
    for (const f of files) if (!(await exists(f))) throw new ChronosLensError('BAD_CHECKPOINT', `${index} names shard ${path.basename(f)}, which is missing from ${abs}`);
  } else if ((await exists(path.join(abs, 'pytorch_model.bin'))) || (await exists(path.join(abs, 'pytorch_model.bin.index.json')))) {
    throw new ChronosLensError(
      'BAD_CHECKPOINT',
      `${abs} has only pytorch_model.bin, a pickle file. Chronos Lens does not load pickle files because unpickling can run arbitrary code. ` +
        `Convert it once to safetensors with Python: python -c "from transformers import T5ForConditionalGeneration as M; M.from_pretrained('${abs}').save_pretrained('${abs}', safe_serialization=True)"`,
    );
  } else {
    throw new ChronosLensError('BAD_CHECKPOINT', `${abs} has no model.safetensors (or model.safetensors.index.json)`);
  }

  const opened = await Promise.all(files.map((f) => SafetensorsFile.open(f)));
  const byFile = new Map(opened.map((o) => [o.file, o]));
  const lookup = (name: string): TensorInfo | undefined => {
    if (weightMap) {
      const f = weightMap.get(name);
      if (!f) return undefined;
      const info = byFile.get(f)!.tensors.get(name);
      if (!info) throw new ChronosLensError('BAD_CHECKPOINT', `${path.basename(index)} maps tensor "${name}" to ${path.basename(f)}, but that shard has no such tensor`);
      return info;
    }
    return opened[0].tensors.get(name);
  };

  const tensors = new Map<string, TensorInfo>();
  let float32Bytes = 0;
  const where = weightMap ? path.basename(index) : 'model.safetensors';
  for (const exp of expectedTensors(config.t5)) {
    let info: TensorInfo | undefined;
    for (const n of exp.names) {
      info = lookup(n);
      if (info) break;
    }
    if (!info) {
      throw new ChronosLensError('BAD_CHECKPOINT', `${abs}/${where}: tensor "${exp.names[0]}" is missing (expected shape [${exp.shape.join(', ')}]: ${exp.why}, from config.json)`);
    }
    if (info.shape.length !== exp.shape.length || info.shape.some((d, i) => d !== exp.shape[i])) {
      throw new ChronosLensError('BAD_CHECKPOINT', `${info.file}: tensor "${info.name}" has shape [${info.shape.join(', ')}], expected [${exp.shape.join(', ')}] (${exp.why}, from config.json)`);
    }
    if (!isFloatDtype(info.dtype)) throw new ChronosLensError('BAD_CHECKPOINT', `${info.file}: tensor "${info.name}" has dtype ${info.dtype}; expected F32, F16 or BF16`);
    tensors.set(exp.names[0], info);
    float32Bytes += exp.shape.reduce((a, d) => a * d, 1) * 4;
  }

  return {
    dir: abs,
    name: displayName(abs),
    config,
    configText,
    files,
    tensors,
    float32Bytes,
    read: async (name: string) => {
      const info = tensors.get(name);
      if (!info) throw new ChronosLensError('BAD_CHECKPOINT', `internal: tensor "${name}" was not validated for ${abs}`);
      return byFile.get(info.file)!.readFloat32(info.name);
    },
  };
}

/**
 * Content hash of a checkpoint (sha256 over config.json and every weight file), memoised by
 * (path, size, mtime) in `memoFile` when given, so large checkpoints are hashed once.
 */
export async function checkpointHash(ck: Checkpoint, memoFile?: string): Promise<string> {
  const parts = [path.join(ck.dir, 'config.json'), ...ck.files];
  const stats = await Promise.all(parts.map((p) => fsp.stat(p)));
  const key = parts.map((p, i) => `${p}:${stats[i].size}:${stats[i].mtimeMs}`).join('|');
  let memo: Record<string, string> = {};
  if (memoFile) {
    try {
      memo = JSON.parse(await fsp.readFile(memoFile, 'utf8'));
    } catch {
      memo = {};
    }
    if (typeof memo[key] === 'string') return memo[key];
  }
  const h = createHash('sha256');
  for (const p of parts) {
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(p, { highWaterMark: 1 << 22 });
      s.on('data', (b) => h.update(b));
      s.on('end', () => resolve());
      s.on('error', reject);
    });
  }
  const digest = h.digest('hex');
  if (memoFile) {
    memo[key] = digest;
    await fsp.mkdir(path.dirname(memoFile), { recursive: true });
    const tmp = `${memoFile}.${process.pid}.${Date.now()}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(memo));
    await fsp.rename(tmp, memoFile);
  }
  return digest;
}
