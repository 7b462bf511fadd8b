/**
 * A Chronos checkpoint folder as Hugging Face saves it: `config.json` (with `chronos_config`) and
 * `model.safetensors` or a sharded `model.safetensors.index.json`. Everything is validated up front
 * (config fields, every tensor the graph needs present with the right shape and a float dtype), so a
 * bad checkpoint fails at load time with a message naming the file and tensor, never mid-run.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChronosLensError } from '../core/errors';
import { writeFileAtomic } from '../core/files';
import { ModelConfig, T5Config, parseModelConfig } from './config';
import { oneLine, openRegularFile, quoted, readRegularText, showValue } from './files';
import { SafetensorsFile, TensorInfo, isFloatDtype } from './safetensors';

/** config.json of a real checkpoint is about 1 kB; anything this large is not one. */
const MAX_CONFIG_BYTES = 4 << 20;
/** model.safetensors.index.json lists one line per tensor (about 50 kB for chronos-t5-large). */
const MAX_INDEX_BYTES = 64 << 20;

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

export interface Checkpoint<C = ModelConfig> {
  dir: string;
  /** A display name: the folder name, or the Hugging Face repo id when the folder is a hub snapshot. */
  name: string;
  config: C;
  configText: string;
  /** Weight files, in a stable order. */
  files: string[];
  /** Canonical tensor name (the first candidate in expectedTensors) -> where it lives. */
  tensors: Map<string, TensorInfo>;
  /** Reads a tensor (by canonical name) as float32. */
  read(name: string): Promise<Float32Array>;
  /** Total bytes of weight data, as float32. */
  float32Bytes: number;
  /** A LoRA adapter merged into the weights (models/lora.ts): its folder and how many layers it adapts. */
  adapter?: { dir: string; modules: number };
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

/**
 * What a model family tells the checkpoint reader: how to read its config.json (which also refuses
 * other families) and which tensors, of which shapes, its graphs need.
 */
export interface CheckpointFormat<C> {
  parseConfig(text: string, file: string): C;
  expectedTensors(config: C): ExpectedTensor[];
}

/** Chronos-T5: the token-based encoder-decoder. */
export const T5_CHECKPOINT: CheckpointFormat<ModelConfig> = { parseConfig: parseModelConfig, expectedTensors: (c) => expectedTensors(c.t5) };

/** Opens and validates a checkpoint folder of `format`'s family (default Chronos-T5). Reads headers only; tensors are read on demand. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint>;
export async function loadCheckpoint<C>(dir: string, format: CheckpointFormat<C>): Promise<Checkpoint<C>>;
export async function loadCheckpoint<C>(dir: string, format?: CheckpointFormat<C>): Promise<Checkpoint<C | ModelConfig>> {
  const fmt: CheckpointFormat<C | ModelConfig> = (format ?? T5_CHECKPOINT) as CheckpointFormat<C | ModelConfig>;
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
    configText = await readRegularText(cfgPath, { maxBytes: MAX_CONFIG_BYTES, code: 'BAD_CONFIG', what: 'a config.json' });
  } catch (e) {
    if (e instanceof ChronosLensError && e.code === 'NOT_FOUND') throw new ChronosLensError('NOT_FOUND', `${cfgPath} not found: a Chronos checkpoint folder needs config.json`);
    throw e;
  }
  const config = fmt.parseConfig(configText, cfgPath);

  const single = path.join(abs, 'model.safetensors');
  const index = path.join(abs, 'model.safetensors.index.json');
  let files: string[];
  let weightMap: Map<string, string> | undefined;
  if (await exists(single)) {
    files = [single];
  } else if (await exists(index)) {
    let idx: unknown;
    const indexText = await readRegularText(index, { maxBytes: MAX_INDEX_BYTES, what: 'a safetensors index' });
    try {
      idx = JSON.parse(indexText);
    } catch (e) {
      throw new ChronosLensError('BAD_CHECKPOINT', `${index}: not valid JSON (${oneLine((e as Error).message)})`);
    }
    const wm = typeof idx === 'object' && idx !== null && Object.prototype.hasOwnProperty.call(idx, 'weight_map') ? (idx as { weight_map?: unknown }).weight_map : undefined;
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new ChronosLensError('BAD_CHECKPOINT', `${index}: expected a "weight_map" object mapping tensor names to shard files`);
    weightMap = new Map();
    for (const [k, v] of Object.entries(wm as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.includes('/') || v.includes('\\') || v.includes('\0') || !v.endsWith('.safetensors') || v.startsWith('.')) {
        throw new ChronosLensError('BAD_CHECKPOINT', `${index}: weight_map[${quoted(k)}] must be a .safetensors shard file name in the same folder, got ${typeof v === 'string' ? JSON.stringify(oneLine(v, 80)) : showValue(v, 80)}`);
      }
      weightMap.set(k, path.join(abs, v));
    }
    files = [...new Set(weightMap.values())].sort();
    for (const f of files) if (!(await exists(f))) throw new ChronosLensError('BAD_CHECKPOINT', `${index} names shard ${oneLine(path.basename(f))}, which is missing from ${abs}`);
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
      if (!info) throw new ChronosLensError('BAD_CHECKPOINT', `${index} maps tensor ${quoted(name)} to ${oneLine(path.basename(f))}, but that shard has no such tensor`);
      return info;
    }
    return opened[0].tensors.get(name);
  };

  const tensors = new Map<string, TensorInfo>();
  let float32Bytes = 0;
  const where = weightMap ? path.basename(index) : 'model.safetensors';
  for (const exp of fmt.expectedTensors(config)) {
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
  // The graph holds every weight as float32; one that cannot fit in this machine's memory is refused
  // here, with the numbers, rather than by an out-of-memory abort halfway through building it.
  if (float32Bytes > os.totalmem()) {
    throw new ChronosLensError(
      'BAD_CHECKPOINT',
      `${abs}: the weights need ${(float32Bytes / 1e9).toFixed(1)} GB as float32, more than this machine's ${(os.totalmem() / 1e9).toFixed(1)} GB of memory`,
    );
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
export async function checkpointHash(ck: Pick<Checkpoint<unknown>, 'dir' | 'files'>, memoFile?: string): Promise<string> {
  const parts = [path.join(ck.dir, 'config.json'), ...ck.files];
  // The files were checked at load; one replaced or removed since is one line, not raw errno text.
  const stats = await Promise.all(
    parts.map(async (p) => {
      const { fh, size } = await openRegularFile(p);
      try {
        return { size, mtimeMs: (await fh.stat()).mtimeMs };
      } finally {
        await fh.close();
      }
    }),
  );
  const key = parts.map((p, i) => `${p}:${stats[i].size}:${stats[i].mtimeMs}`).join('|');
  let memo: Record<string, string> = {};
  if (memoFile) {
    try {
      // A memo that is not a regular file, too large or not JSON is ignored (and replaced below).
      const parsed: unknown = JSON.parse(await readRegularText(memoFile, { maxBytes: 16 << 20 }));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) memo = parsed as Record<string, string>;
    } catch {
      memo = {};
    }
    const hit = Object.prototype.hasOwnProperty.call(memo, key) ? memo[key] : undefined;
    if (typeof hit === 'string' && /^[0-9a-f]{64}$/.test(hit)) return hit;
  }
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 22);
  for (const p of parts) {
    const { fh } = await openRegularFile(p);
    try {
      for (let pos = 0; ; ) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    } catch (e) {
      throw new ChronosLensError('IO', `${p}: cannot read it to compute the checkpoint hash (${oneLine((e as NodeJS.ErrnoException).code ?? (e as Error).message)})`, { cause: e });
    } finally {
      await fh.close();
    }
  }
  const digest = h.digest('hex');
  if (memoFile) {
    memo[key] = digest;
    try {
      await writeFileAtomic(memoFile, JSON.stringify(memo));
    } catch {
      // The memo only saves time; a cache folder that cannot be written is reported by the graph cache.
    }
  }
  return digest;
}
