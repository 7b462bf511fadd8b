/**
 * Opens a checkpoint folder as the model of its family (models/family.ts): Chronos-T5 as a
 * ChronosModel, Chronos-Bolt as a BoltModel, Chronos-2 as a Chronos2Model. A folder whose config.json cannot be read or parsed goes
 * the Chronos-T5 way, whose loader reports the problem with the file and field. A PEFT LoRA adapter folder
 * opens as its base with the adapter merged (models/lora.ts).
 */
import * as path from 'node:path';
import { BoltModel } from './bolt/model';
import { Chronos2Model } from './chronos2/model';
import { ChronosLensError } from '../core/errors';
import { ModelFamily, detectFamily, parseConfigJson } from './family';
import { oneLine, readRegularText } from './files';
import { ADAPTER_CONFIG, LoraAdapter, isAdapterFolder, readLoraAdapter } from './lora';
import { isBundled, resolveModel } from './source';
import { ChronosModel, LoadOptions } from './model';

export type AnyModel = ChronosModel | BoltModel | Chronos2Model;

/** The family of the checkpoint in `dir`, or undefined when its config.json cannot be read as JSON. */
export async function checkpointFamily(dir: string): Promise<ModelFamily | undefined> {
  const file = path.join(path.resolve(dir), 'config.json');
  let text: string;
  try {
    // One open, checked as a regular file on the handle it reads (no stat-then-read race, a FIFO put
    // here does not block); a real config.json is about 1 kB, and the checkpoint reader refuses odd ones
    // with the reason.
    text = await readRegularText(file, { maxBytes: 4 << 20, what: 'a config.json' });
  } catch {
    return undefined;
  }
  let raw: Record<string, unknown>;
  try {
    raw = parseConfigJson(text, file);
  } catch {
    return undefined;
  }
  return detectFamily(raw, file);
}

/**
 * The base checkpoint folder of a LoRA adapter: `options.base` when given, else its
 * base_model_name_or_path as a folder (absolute, or relative to the adapter's folder) or a repo id in the
 * Hugging Face cache (models/source.ts).
 */
export async function adapterBase(adapter: LoraAdapter, options: Pick<LoadOptions, 'base'> = {}): Promise<string> {
  if (options.base !== undefined) return path.resolve(options.base);
  const name = adapter.baseName.trim();
  const where = `${adapter.configFile}: base_model_name_or_path ${JSON.stringify(oneLine(name, 80))}`;
  if (!name || isBundled(name)) throw new ChronosLensError('NOT_FOUND', `${where} names no base model; give the base checkpoint folder explicitly (the CLI's --base)`);
  try {
    return (await resolveModel(name, { extensionRoot: adapter.dir, workspaceFolders: [adapter.dir] })).dir;
  } catch (e) {
    if (!(e instanceof ChronosLensError) || e.code !== 'NOT_FOUND') throw e;
    throw new ChronosLensError('NOT_FOUND', `${where} is neither a folder nor a repo in the Hugging Face cache; give the base checkpoint folder explicitly (the CLI's --base)`, { cause: e });
  }
}

/**
 * Opens `dir` as its family's model. A LoRA adapter folder (models/lora.ts) opens its base (see
 * adapterBase) with the adapter merged; adapters are merged into Chronos-2 models (the family they are
 * checked on against PEFT), and refused for the others in one line.
 */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<AnyModel> {
  if (await isAdapterFolder(dir)) {
    const adapter = await readLoraAdapter(dir);
    const baseDir = await adapterBase(adapter, options);
    const baseFamily = await checkpointFamily(baseDir);
    if (baseFamily !== 'chronos-2') {
      throw new ChronosLensError('UNSUPPORTED_MODEL', `${adapter.configFile}: LoRA adapters are merged into Chronos-2 models; the base ${baseDir} is ${baseFamily ? `a ${baseFamily} model` : 'not a readable checkpoint (no config.json)'}`);
    }
    return Chronos2Model.load(baseDir, { ...options, adapter });
  }
  if (options.base !== undefined) throw new ChronosLensError('BAD_INPUT', `a base model was given, but ${path.resolve(dir)} is not a LoRA adapter folder (it has no ${ADAPTER_CONFIG}, or has its own config.json)`);
  const family = await checkpointFamily(dir);
  if (family === 'chronos-bolt') return BoltModel.load(dir, options);
  if (family === 'chronos-2') return Chronos2Model.load(dir, options);
  return ChronosModel.load(dir, options);
}

export function isBolt(model: AnyModel): model is BoltModel {
  return model instanceof BoltModel;
}

export function isChronos2(model: AnyModel): model is Chronos2Model {
  return model instanceof Chronos2Model;
}
