/**
 * Opens a checkpoint folder as the model of its family (models/family.ts): Chronos-T5 as a
 * ChronosModel, Chronos-Bolt as a BoltModel, Chronos-2 as a Chronos2Model. A folder whose config.json cannot be read or parsed goes
 * the Chronos-T5 way, whose loader reports the problem with the file and field.
 */
import * as path from 'node:path';
import { BoltModel } from './bolt/model';
import { Chronos2Model } from './chronos2/model';
import { ModelFamily, detectFamily, parseConfigJson } from './family';
import { readRegularText } from './files';
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

export async function loadModel(dir: string, options: LoadOptions = {}): Promise<AnyModel> {
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
