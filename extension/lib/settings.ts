/**
 * The extension's settings (`chronosLens.*`): defaults, reading with validation (a bad value falls
 * back to the default and is reported), and the parts that decide which model is loaded. vscode-free:
 * the adapter passes a getter over `workspace.getConfiguration('chronosLens')`.
 */
import { ATTENTION_KINDS, type AblationMethod, type AttentionKind, type InductionParams } from '../../analysis/types';
import { BUNDLED_SPEC } from '../../models/source';
import { BOUNDS, Bound, withinBound } from '../../core/limits';

export const SECTION = 'chronosLens';

export type ProviderSetting = 'auto' | 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export const PROVIDERS: readonly ProviderSetting[] = ['auto', 'cpu', 'cuda', 'dml', 'coreml', 'webgpu'];

export type { AblationMethod };
export type AblationData = 'inductionLoss' | 'csv' | 'both';

export interface ModelSettings {
  /** `bundled`, a checkpoint folder, or a Hugging Face repo id in the local hub cache. */
  model: string;
  provider: ProviderSetting;
  /** Intra-op threads; 0 = ONNX Runtime's default. */
  threads: number;
}

export interface MosaicSettings extends InductionParams {
  kinds: AttentionKind[];
  threshold: number;
  /** Also run the data-driven variant on a column of the CSV (asked for: extension/column-choice.ts). */
  dataDriven: boolean;
}

export interface AblationSettings {
  method: AblationMethod;
  data: AblationData;
  controls: number;
  topK: number;
  seed: number;
  /** Points held out at the end of the CSV column; 0 = the model's prediction length. */
  heldOut: number;
}

export interface Settings extends ModelSettings {
  mosaic: MosaicSettings;
  ablation: AblationSettings;
}

export const DEFAULTS: Settings = {
  model: BUNDLED_SPEC,
  provider: 'auto',
  threads: 0,
  mosaic: { kinds: [...ATTENTION_KINDS], batch: 100, seqLen: 10, repeats: 2, subExtension: 1, vocab: [1911, 2187], seed: 1911, threshold: 0.3, dataDriven: true },
  ablation: { method: 'zero', data: 'both', controls: 20, topK: 3, seed: 0, heldOut: 0 },
};

/** Reads one setting by its key below `chronosLens.` (e.g. `mosaic.batch`); undefined when unset. */
export type SettingGetter = (key: string) => unknown;

export interface ReadSettings {
  settings: Settings;
  /** One sentence per setting that had an invalid value (the default was used instead). */
  problems: string[];
}

export function readSettings(get: SettingGetter): ReadSettings {
  const problems: string[] = [];
  const bad = (key: string, expected: string, v: unknown) => problems.push(`${SECTION}.${key} must be ${expected}, got ${describeValue(v)}; using the default.`);
  const str = (key: string, d: string): string => {
    const v = get(key);
    if (v === undefined || v === null) return d;
    if (typeof v !== 'string') return (bad(key, 'a string', v), d);
    return v.trim() === '' ? d : v.trim();
  };
  // the ranges are the CLI's (core/limits.ts BOUNDS); `orZero`: 0 also allowed, meaning "the default"
  const bounded = (key: string, d: number, b: Bound, orZero = false): number => {
    const v = get(key);
    if (v === undefined || v === null) return d;
    if (orZero && v === 0) return 0;
    if (!withinBound(b, v)) return (bad(key, `${b.integer ? `an integer in ${b.min}..${b.max}` : `a number in ${b.min}..${b.max}`}${orZero ? ' (or 0 for the default)' : ''}`, v), d);
    return v;
  };
  const bool = (key: string, d: boolean): boolean => {
    const v = get(key);
    if (v === undefined || v === null) return d;
    if (typeof v !== 'boolean') return (bad(key, 'true or false', v), d);
    return v;
  };
  const oneOf = <T extends string>(key: string, d: T, values: readonly T[]): T => {
    const v = get(key);
    if (v === undefined || v === null) return d;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) return (bad(key, `one of ${values.join(', ')}`, v), d);
    return v as T;
  };

  const D = DEFAULTS;
  const kindsRaw = get('mosaic.kinds');
  let kinds = [...D.mosaic.kinds];
  if (kindsRaw !== undefined && kindsRaw !== null) {
    if (!Array.isArray(kindsRaw) || kindsRaw.length === 0 || !kindsRaw.every((k) => ATTENTION_KINDS.includes(k as AttentionKind))) {
      bad('mosaic.kinds', 'a non-empty list of "cross", "encoder", "decoder"', kindsRaw);
    } else {
      kinds = ATTENTION_KINDS.filter((k) => kindsRaw.includes(k));
    }
  }
  const vocabRaw = get('mosaic.vocab');
  let vocab: [number, number] = [...D.mosaic.vocab];
  if (vocabRaw !== undefined && vocabRaw !== null) {
    if (!Array.isArray(vocabRaw) || vocabRaw.length !== 2 || !vocabRaw.every((v) => withinBound('tokenId', v)) || (vocabRaw[0] as number) > (vocabRaw[1] as number)) {
      bad('mosaic.vocab', `[first, last] token ids with 0 <= first <= last <= ${BOUNDS.tokenId.max}`, vocabRaw);
    } else {
      vocab = [vocabRaw[0] as number, vocabRaw[1] as number];
    }
  }
  const seqLen = bounded('mosaic.seqLen', D.mosaic.seqLen, BOUNDS.seqLen);
  let subExtension = bounded('mosaic.subExtension', D.mosaic.subExtension, BOUNDS.subExtension);
  if (subExtension >= seqLen) {
    problems.push(`${SECTION}.mosaic.subExtension (${subExtension}) must be smaller than mosaic.seqLen (${seqLen}); using ${Math.min(D.mosaic.subExtension, seqLen - 1)}.`);
    subExtension = Math.min(D.mosaic.subExtension, seqLen - 1);
  }
  const settings: Settings = {
    model: str('model', D.model),
    provider: oneOf('executionProvider', D.provider, PROVIDERS),
    threads: bounded('threads', D.threads, BOUNDS.threads),
    mosaic: {
      kinds,
      batch: bounded('mosaic.batch', D.mosaic.batch, BOUNDS.mosaicBatch),
      seqLen,
      repeats: bounded('mosaic.repeats', D.mosaic.repeats, BOUNDS.repeats),
      subExtension,
      vocab,
      seed: bounded('mosaic.seed', D.mosaic.seed, BOUNDS.seed),
      threshold: bounded('mosaic.threshold', D.mosaic.threshold, BOUNDS.threshold),
      dataDriven: bool('mosaic.dataDriven', D.mosaic.dataDriven),
    },
    ablation: {
      method: oneOf('ablation.method', D.ablation.method, ['zero', 'mean'] as const),
      data: oneOf('ablation.data', D.ablation.data, ['inductionLoss', 'csv', 'both'] as const),
      controls: bounded('ablation.controls', D.ablation.controls, BOUNDS.controls),
      topK: bounded('ablation.topK', D.ablation.topK, BOUNDS.topHeads),
      seed: bounded('ablation.seed', D.ablation.seed, BOUNDS.seed),
      heldOut: bounded('ablation.heldOut', D.ablation.heldOut, BOUNDS.heldOut, true),
    },
  };
  return { settings, problems };
}

/** A setting's value for a message: JSON, shortened; never throws (whatever the settings file holds). */
function describeValue(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The settings that decide the loaded model; equal keys share one loaded model. */
export function modelKey(s: ModelSettings): string {
  return JSON.stringify([s.model, s.provider, s.threads]);
}

/** Mosaic parameters as runMosaic takes them (analysis/mosaic MosaicOptions), without the data. */
export function mosaicParameters(m: MosaicSettings): { kinds: AttentionKind[]; batch: number; seqLen: number; repeats: number; subExtension: number; vocab: [number, number]; seed: number; threshold: number } {
  return { kinds: [...m.kinds], batch: m.batch, seqLen: m.seqLen, repeats: m.repeats, subExtension: m.subExtension, vocab: [m.vocab[0], m.vocab[1]], seed: m.seed, threshold: m.threshold };
}
