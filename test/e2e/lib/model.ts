/**
 * The model the end-to-end suites run: the bundled chronos-t5-nano once it exists (it is being trained
 * separately), until then a committed random-weight fixture checkpoint in the same format, set through the
 * chronosLens.model setting. CHRONOS_E2E_MODEL=DIR picks another checkpoint folder.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir, bundledModelPresent, repoRoot } from './paths';

export interface E2EModel {
  /** The chronosLens.model setting. */
  setting: string;
  /** The checkpoint folder (for the CLI's --model). */
  dir: string;
  /** The name the extension shows (the folder's name). */
  name: string;
  bundled: boolean;
  /** Decoder layers (rows of the cross-attention mosaic) and heads per layer. */
  layers: number;
  heads: number;
}

export const FIXTURE_MODEL = path.join(repoRoot, 'test', 'fixtures', 'checkpoints', 't5-relu-v4096-f32');

export function e2eModel(): E2EModel {
  const override = process.env.CHRONOS_E2E_MODEL;
  const bundled = !override && bundledModelPresent();
  const dir = override ? path.resolve(override) : bundled ? bundledModelDir : FIXTURE_MODEL;
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as { num_layers: number; num_decoder_layers?: number; num_heads: number };
  return {
    setting: bundled ? 'bundled' : dir,
    dir,
    name: path.basename(dir),
    bundled,
    layers: config.num_decoder_layers ?? config.num_layers,
    heads: config.num_heads,
  };
}
