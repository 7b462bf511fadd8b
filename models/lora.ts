/**
 * LoRA adapters in PEFT's format (a folder with `adapter_config.json` and `adapter_model.safetensors`),
 * merged into the base checkpoint's weights when they are read: for each adapted linear layer M,
 * W_M += s_M · B_M · A_M, with s_M = alpha_M / r_M (alpha_M / sqrt(r_M) with use_rslora), r_M and alpha_M
 * from rank_pattern / alpha_pattern where a key matches M as PEFT matches it (the key as a regular
 * expression, anchored at the end of M's name, after a dot or at the start), else r and lora_alpha.
 * The merged graph is then the model the adapter describes: PEFT's unmerged forward (W x + s B A x)
 * differs from it only by float32 rounding.
 *
 * Everything PEFT could put in an adapter that changes the model in another way is refused in one line
 * naming the file: other PEFT types, DoRA, LoRA biases, modules_to_save, trainable tokens, embedding or
 * convolution adapters, layer replication, parameter targets, and initialisations that also change the
 * base weights (PiSSA, OLoRA, CorDA, LoftQ). fan_in_fan_out only concerns GPT-2-style Conv1D layers:
 * on a torch Linear layer, which every Chronos weight is, PEFT itself resets it to false, and so do we.
 */
import * as path from 'node:path';
import { ChronosLensError } from '../core/errors';
import { BOUNDS, checkBound } from '../core/limits';
import { Checkpoint } from './checkpoint';
import { parseConfigJson } from './family';
import { quoted, readRegularText, showValue as showAny } from './files';
import { SafetensorsFile, TensorInfo, isFloatDtype } from './safetensors';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
/** A real adapter_config.json is about 1 kB. */
const MAX_ADAPTER_CONFIG_BYTES = 1 << 20;

/** One adapted linear layer: its weight's name in the base checkpoint, A [r, in], B [out, r] and the scale. */
export interface LoraModule {
  module: string;
  weight: string;
  a: TensorInfo;
  b: TensorInfo;
  rank: number;
  alpha: number;
  scale: number;
}

export interface LoraAdapter {
  dir: string;
  configFile: string;
  weightsFile: string;
  /** base_model_name_or_path, as written. */
  baseName: string;
  useRslora: boolean;
  modules: LoraModule[];
  weights: SafetensorsFile;
}

/** Whether `dir` is a PEFT adapter folder (an adapter_config.json and no config.json of its own). */
export async function isAdapterFolder(dir: string): Promise<boolean> {
  const { promises: fsp } = await import('node:fs');
  const has = async (f: string) => {
    try {
      return (await fsp.stat(path.join(dir, f))).isFile();
    } catch {
      return false;
    }
  };
  return (await has(ADAPTER_CONFIG)) && !(await has('config.json'));
}

/** Fields that, when set, make an adapter something other than plain LoRA on linear layers. */
const UNSUPPORTED: [field: string, isSet: (v: unknown) => boolean, what: string][] = [
  ['use_dora', (v) => v === true, 'DoRA (use_dora) is not supported; only plain LoRA adapters are merged'],
  ['bias', (v) => v !== undefined && v !== null && v !== 'none', 'trained biases (bias other than "none") are not supported'],
  ['lora_bias', (v) => v === true, 'LoRA biases (lora_bias) are not supported'],
  ['modules_to_save', (v) => Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null, 'modules_to_save (whole modules replaced) is not supported'],
  ['trainable_token_indices', (v) => v !== undefined && v !== null, 'trainable_token_indices is not supported'],
  ['layer_replication', (v) => v !== undefined && v !== null, 'layer_replication is not supported'],
  ['target_parameters', (v) => Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null, 'target_parameters (LoRA on raw parameters) is not supported'],
  ['use_qalora', (v) => v === true, 'QA-LoRA (use_qalora) is not supported'],
  ['megatron_config', (v) => v !== undefined && v !== null, 'Megatron layers (megatron_config) are not supported'],
  ['alora_invocation_tokens', (v) => v !== undefined && v !== null, 'activated LoRA (alora_invocation_tokens) is not supported'],
  ['arrow_config', (v) => v !== undefined && v !== null, 'Arrow routing (arrow_config) is not supported'],
];

/** A config value in a message: strings quoted, anything else as JSON, one line either way. */
function showValue(v: unknown): string {
  return typeof v === 'string' ? quoted(v, 80) : showAny(v, 80);
}

function bad(file: string, msg: string): never {
  throw new ChronosLensError('BAD_CHECKPOINT', `${file}: ${msg}`);
}

/** PEFT's pattern lookup: the first key (a regular expression) matching the end of `name` after a dot. */
function patternValue(file: string, field: string, pattern: Record<string, unknown>, name: string): number | undefined {
  for (const [key, value] of Object.entries(pattern)) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:.*\\.)?(?:${key})$`);
    } catch {
      bad(file, `${field} key ${quoted(key)} is not a regular expression this reader understands`);
    }
    if (re.test(name)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) bad(file, `${field}[${quoted(key)}] must be a number, got ${showValue(value)}`);
      return value;
    }
  }
  return undefined;
}

/** Whether PEFT's target_modules names `module` (a list: a name or a dotted suffix; a string: a full regular expression). */
function targeted(file: string, targets: unknown, module: string): boolean {
  if (targets === undefined || targets === null) return true;
  if (typeof targets === 'string') {
    if (targets === 'all-linear') return true;
    try {
      return new RegExp(`^(?:${targets})$`).test(module);
    } catch {
      bad(file, `target_modules ${quoted(targets)} is not a regular expression this reader understands`);
    }
  }
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) bad(file, `target_modules must be a list of module names or a regular expression, got ${showValue(targets)}`);
  return (targets as string[]).some((t) => module === t || module.endsWith(`.${t}`));
}

/**
 * Reads and checks an adapter folder: its config (PEFT type, options) and its weights (A/B pairs of
 * matching rank, float dtypes). Shapes against the base model are checked by mergeLora.
 */
export async function readLoraAdapter(dir: string): Promise<LoraAdapter> {
  const abs = path.resolve(dir);
  const configFile = path.join(abs, ADAPTER_CONFIG);
  const text = await readRegularText(configFile, { maxBytes: MAX_ADAPTER_CONFIG_BYTES, code: 'BAD_CHECKPOINT', what: 'an adapter_config.json' });
  const c = parseConfigJson(text, configFile);
  if (c.peft_type !== 'LORA') bad(configFile, `peft_type is ${showValue(c.peft_type)}; only LoRA adapters ("LORA") are supported`);
  for (const [field, isSet, what] of UNSUPPORTED) if (isSet(c[field])) bad(configFile, `${what} (${field}: ${showValue(c[field])})`);
  const init = c.init_lora_weights;
  if (init !== undefined && init !== true && init !== false && init !== 'gaussian' && init !== 'eva') {
    bad(configFile, `init_lora_weights ${showValue(init)} also changes the base weights, which this adapter does not carry; convert it to plain LoRA (PEFT's path_initial_model_for_weight_conversion) first`);
  }
  const num = (field: string, v: unknown, fallback?: number): number => {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(configFile, `${field} must be a number, got ${showValue(v)}`);
    return v;
  };
  const r = num('r', c.r, 8);
  const loraAlpha = num('lora_alpha', c.lora_alpha, 8);
  const useRslora = c.use_rslora === true;
  const obj = (field: string): Record<string, unknown> => {
    const v = c[field];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) bad(configFile, `${field} must be an object, got ${showValue(v)}`);
    return v as Record<string, unknown>;
  };
  const rankPattern = obj('rank_pattern');
  const alphaPattern = obj('alpha_pattern');
  const baseName = typeof c.base_model_name_or_path === 'string' ? c.base_model_name_or_path : '';

  const weightsFile = path.join(abs, ADAPTER_WEIGHTS);
  const weights = await SafetensorsFile.open(weightsFile).catch((e: unknown) => {
    if (e instanceof ChronosLensError && e.code === 'NOT_FOUND') {
      bad(weightsFile, `not found: a LoRA adapter folder needs ${ADAPTER_WEIGHTS} beside ${ADAPTER_CONFIG} (adapter_model.bin is a pickle file, which is not loaded)`);
    }
    throw e;
  });
  const pairs = new Map<string, { a?: TensorInfo; b?: TensorInfo }>();
  for (const [name, info] of weights.tensors) {
    const m = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/.exec(name);
    if (!m) {
      if (/\.lora_embedding_[AB]$|\.lora_embedding_[AB]\./.test(name)) bad(weightsFile, `tensor ${quoted(name)} adapts an embedding; only linear layers are supported`);
      bad(weightsFile, `tensor ${quoted(name)} is not a LoRA weight of a linear layer (base_model.model.<module>.lora_A.weight / lora_B.weight)`);
    }
    if (!isFloatDtype(info.dtype)) bad(weightsFile, `tensor ${quoted(name)} has dtype ${info.dtype}; expected F32, F16 or BF16`);
    if (info.shape.length !== 2) bad(weightsFile, `tensor ${quoted(name)} has shape [${info.shape.join(', ')}]; a linear layer's LoRA factor is a matrix (a convolution adapter is not supported)`);
    const p = pairs.get(m[1]) ?? {};
    if (m[2] === 'A') p.a = info;
    else p.b = info;
    pairs.set(m[1], p);
  }
  if (pairs.size === 0) bad(weightsFile, 'holds no LoRA weights');
  const modules: LoraModule[] = [];
  for (const [module, p] of [...pairs].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    if (!p.a || !p.b) bad(weightsFile, `module ${quoted(module)} has lora_${p.a ? 'A' : 'B'} but no lora_${p.a ? 'B' : 'A'}`);
    if (!targeted(configFile, c.target_modules, module)) bad(weightsFile, `holds weights for ${quoted(module)}, which ${ADAPTER_CONFIG}'s target_modules does not name`);
    const rank = patternValue(configFile, 'rank_pattern', rankPattern, module) ?? r;
    const alpha = patternValue(configFile, 'alpha_pattern', alphaPattern, module) ?? loraAlpha;
    checkBound(BOUNDS.loraRank, rank, `${configFile}: the rank of ${module}`);
    if (p.a.shape[0] !== rank || p.b.shape[1] !== rank) {
      bad(weightsFile, `${module}: lora_A is [${p.a.shape.join(', ')}] and lora_B [${p.b.shape.join(', ')}], expected rank ${rank} (from ${ADAPTER_CONFIG}'s r / rank_pattern)`);
    }
    modules.push({ module, weight: `${module}.weight`, a: p.a, b: p.b, rank, alpha, scale: useRslora ? alpha / Math.sqrt(rank) : alpha / rank });
  }
  return { dir: abs, configFile, weightsFile, baseName, useRslora, modules, weights };
}

/**
 * The base checkpoint with the adapter merged: the same tensors, each adapted weight read as
 * W + s·B·A, and the adapter's files among the checkpoint's files (so its hash, and the graph cache,
 * tell an adapted model from its base).
 */
export function mergeLora<C>(base: Checkpoint<C>, adapter: LoraAdapter): Checkpoint<C> {
  const byWeight = new Map<string, LoraModule>();
  let adapterBytes = 0;
  for (const m of adapter.modules) {
    const info = base.tensors.get(m.weight);
    if (!info) bad(adapter.weightsFile, `adapts ${quoted(m.module)}, which is not a linear layer the ${base.name} graph reads`);
    const [out, inDim] = info.shape;
    if (info.shape.length !== 2 || m.a.shape[1] !== inDim || m.b.shape[0] !== out) {
      bad(adapter.weightsFile, `${m.module}: lora_B·lora_A is [${m.b.shape[0]}, ${m.a.shape[1]}], but the base weight is [${info.shape.join(', ')}]`);
    }
    byWeight.set(m.weight, m);
    adapterBytes += (m.a.shape[0] * m.a.shape[1] + m.b.shape[0] * m.b.shape[1]) * 4;
  }
  // An adapter larger than its model is no low-rank adapter; refusing it keeps the merge's work and
  // memory within the model's own.
  if (adapterBytes > base.float32Bytes) bad(adapter.weightsFile, `its LoRA weights (${adapterBytes} bytes as float32) are larger than the base model's (${base.float32Bytes}); this is not a low-rank adapter of it`);
  const dirName = path.basename(adapter.dir);
  return {
    ...base,
    name: `${dirName} (LoRA on ${base.name})`,
    files: [...base.files, adapter.configFile, adapter.weightsFile],
    adapter: { dir: adapter.dir, modules: adapter.modules.length },
    read: async (name: string) => {
      const w = await base.read(name);
      const m = byWeight.get(name);
      if (!m) return w;
      const [a, b] = await Promise.all([adapter.weights.readFloat32(m.a.name), adapter.weights.readFloat32(m.b.name)]);
      const r = m.rank;
      const inDim = m.a.shape[1];
      const out = m.b.shape[0];
      const merged = new Float32Array(w);
      const row = new Float64Array(inDim);
      for (let o = 0; o < out; o++) {
        row.fill(0);
        for (let k = 0; k < r; k++) {
          const bk = b[o * r + k];
          if (bk === 0) continue;
          const ak = k * inDim;
          for (let i = 0; i < inDim; i++) row[i] += bk * a[ak + i];
        }
        for (let i = 0; i < inDim; i++) merged[o * inDim + i] = w[o * inDim + i] + m.scale * row[i];
      }
      return merged;
    },
  };
}
