/**
 * Shared pieces of the CLI: argument parsing on node:util's parseArgs (strict: unknown flags are
 * errors), model options, the package root (the same from the source tree and from dist/cli.js),
 * a progress bar on stderr, and atomic file writes.
 */
import { existsSync } from 'node:fs';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { ChronosLensError } from '../core/errors';
import { BOUNDS, Bound, BoundName, parseIntegerText, parseNumberText, shown, withinBound } from '../core/limits';
import { ProgressCallback } from '../core/progress';
import { TOOL_VERSION } from '../analysis/common';
import { defaultModelDir } from './paths';
import { ChronosModel } from '../models/model';
import { AnyModel, checkpointFamily, loadModel } from '../models/load';
import { ADAPTER_CONFIG, isAdapterFolder } from '../models/lora';
import type { BoltModel } from '../models/bolt/model';
import { PROVIDER_SETTINGS, ProviderSetting } from '../models/runtime/ort';
import { provisionGpuRuntime, resolveModelDir } from './model-source';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  signal?: AbortSignal;
}

export { packageRoot } from './paths';

/** The bundled model, the default for every command. */
export const bundledModelDir = defaultModelDir;

export function toolVersion(): string {
  return TOOL_VERSION;
}

/**
 * parseArgs options that take a value, by name. Values stay strings here: numbers are read and bounded by
 * intFlag / floatFlag, so every numeric flag is checked in one place.
 */
export function strings<const K extends string>(...names: K[]): { [N in K]: { type: 'string' } } {
  return Object.fromEntries(names.map((n) => [n, { type: 'string' }])) as { [N in K]: { type: 'string' } };
}

/** parseArgs on/off options, by name. */
export function flags<const K extends string>(...names: K[]): { [N in K]: { type: 'boolean' } } {
  return Object.fromEntries(names.map((n) => [n, { type: 'boolean' }])) as { [N in K]: { type: 'boolean' } };
}

/** Options every model-using command accepts. */
export const MODEL_OPTIONS = {
  ...strings('model', 'revision', 'base'),
  download: { type: 'boolean' },
  ...strings('provider', 'threads', 'cache-dir'),
  ...flags('no-cache', 'debug'),
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new ChronosLensError('BAD_INPUT', (e as Error).message.replace(/\. To specify a positional argument.*$/, '').replace(/^Unknown option/, 'unknown option'));
  }
}

/**
 * An integer flag inside its bound (core/limits.ts BOUNDS, shared with the extension's settings): plain
 * digits only, so "1e6", "0x10", "" or "NaN" are one clear error naming the flag and the range.
 */
export function intFlag(v: string | undefined, name: string, bound: BoundName | Bound | number): number | undefined {
  if (v === undefined) return undefined;
  // a plain number is a minimum (flags of commands without an entry in BOUNDS)
  const b = typeof bound === 'number' ? { min: bound, max: Number.MAX_SAFE_INTEGER, integer: true, label: name } : bound;
  return parseIntegerText(b, v, `--${name}`);
}

/** A decimal-number flag inside its bound. */
export function floatFlag(v: string | undefined, name: string, bound: BoundName | Bound = { min: -Number.MAX_VALUE, max: Number.MAX_VALUE, integer: false, label: name }): number | undefined {
  if (v === undefined) return undefined;
  return parseNumberText(bound, v, `--${name}`);
}

/** `--vocab A:B`: an inclusive range of token ids (checked against the model's vocabulary later). */
export function vocabFlag(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d{1,16}):(\d{1,16})$/.exec(v);
  const range = m ? ([Number(m[1]), Number(m[2])] as [number, number]) : undefined;
  if (!range || !withinBound('tokenId', range[0]) || !withinBound('tokenId', range[1]) || range[0] > range[1]) {
    throw new ChronosLensError('BAD_INPUT', `--vocab must be A:B with token ids ${BOUNDS.tokenId.min} <= A <= B <= ${BOUNDS.tokenId.max}, got ${shown(v)}`);
  }
  return range;
}

/** Model folders no output may be written into, as far as the flags name them before the model is loaded. */
export function protectedModelDirs(model: string | undefined): string[] {
  return [bundledModelDir(), ...(model && existsSync(model) ? [model] : [])];
}

/** How the CLI names the parameters a ResourceLimitError asks to lower (commands may rename some). */
export const FLAG_NAMES: Record<string, string> = {
  predictionLength: '--prediction-length',
  numSamples: '--samples',
  batch: '--batch',
  seqLen: '--seq-len',
  repeats: '--repeats',
  subExtension: '--sub-extension',
  controls: '--controls',
  heldOut: '--held-out',
  threads: '--threads',
  tokens: '--tokens (a smaller token batch)',
  series: 'the length of the --csv column',
};

/**
 * The model the flags name: `--model` is a checkpoint folder or a hub repo id (owner/name, from the
 * Hugging Face cache, or downloaded with `--download [--revision R]`; see model-source.ts); with
 * `--provider cuda|auto`, ORT comes from the GPU package `models gpu --install` staged, when there is one.
 */
export async function loadModelFromFlags(values: ModelFlagValues, io?: CliIO): Promise<ChronosModel>;
/** With `{ families: 'any' }`: the model of the checkpoint's own family (Chronos-T5, Chronos-Bolt or Chronos-2). */
export async function loadModelFromFlags(values: ModelFlagValues, io: CliIO | undefined, opts: { families: 'any' }): Promise<AnyModel>;
/** With `{ families: 't5-bolt', command }`: Chronos-T5 or Chronos-Bolt; a Chronos-2 checkpoint is refused in one line naming the command. */
export async function loadModelFromFlags(values: ModelFlagValues, io: CliIO | undefined, opts: { families: 't5-bolt'; command: string }): Promise<ChronosModel | BoltModel>;
export async function loadModelFromFlags(values: ModelFlagValues, io?: CliIO, opts?: { families: 'any' } | { families: 't5-bolt'; command: string }): Promise<AnyModel> {
  const provider = (values.provider ?? 'auto') as ProviderSetting;
  if (!PROVIDER_SETTINGS.includes(provider)) throw new ChronosLensError('BAD_INPUT', `--provider must be one of ${PROVIDER_SETTINGS.join(', ')}, got ${shown(values.provider)}`);
  // before anything is resolved, downloaded or loaded: ORT aborts the process on an impossible thread count
  const threads = intFlag(values.threads, 'threads', 'threads');
  const dir = await resolveModelDir(values.model, bundledModelDir(), { revision: values.revision, download: values.download, io: io ?? { stdout: process.stdout, stderr: process.stderr } });
  const adapter = await isAdapterFolder(dir);
  if (values.base !== undefined && !adapter) throw new ChronosLensError('BAD_INPUT', `--base names the base model of a LoRA adapter, but --model ${dir} is not an adapter folder (no ${ADAPTER_CONFIG}, or its own config.json)`);
  // the base of a LoRA adapter: a folder or a cached repo id, as --model (never downloaded on its own)
  const base = values.base !== undefined ? await resolveModelDir(values.base, bundledModelDir()) : undefined;
  await provisionGpuRuntime(provider);
  const options = { provider, threads, cacheDir: values['no-cache'] ? null : values['cache-dir'], base };
  if (adapter && opts?.families !== 'any') {
    throw new ChronosLensError('UNSUPPORTED_MODEL', `${dir} is a LoRA adapter, merged into Chronos-2 models; ${opts?.command ?? 'this command'} does not open Chronos-2 models`);
  }
  if (opts?.families === 't5-bolt' && (await checkpointFamily(dir)) === 'chronos-2') {
    throw new ChronosLensError('UNSUPPORTED_MODEL', `${dir} is a Chronos-2 model; ${opts.command} opens Chronos-T5 and Chronos-Bolt models (Chronos-2 runs with forecast, info and lens)`);
  }
  return opts ? loadModel(dir, options) : ChronosModel.load(dir, options);
}

type ModelFlagValues = { model?: string; revision?: string; base?: string; download?: boolean; provider?: string; threads?: string; 'cache-dir'?: string; 'no-cache'?: boolean };

/** A one-line progress bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(io: CliIO, label: string): { onProgress: ProgressCallback; done: () => void } {
  const tty = !!io.stderr.isTTY;
  let last = '';
  return {
    onProgress: (u) => {
      if (!tty) return;
      const width = 28;
      const f = Math.max(0, Math.min(1, u.fraction ?? 0));
      const bar = '█'.repeat(Math.round(f * width)).padEnd(width, '░');
      const line = `${label} ${bar} ${(f * 100).toFixed(0).padStart(3)}%${u.message ? '  ' + u.message : ''}`;
      if (line !== last) io.stderr.write(`\r\x1b[2K${line.slice(0, (io.stderr.columns ?? 100) - 1)}`);
      last = line;
    },
    done: () => {
      if (tty && last) io.stderr.write('\r\x1b[2K');
    },
  };
}

export { writeFileAtomic } from '../core/files';

export function printJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}
