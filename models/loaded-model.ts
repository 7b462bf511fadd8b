/**
 * What every family's loaded model shares: its checkpoint, the ONNX Runtime sessions of its graphs
 * (built, or read from the graph cache, on first use), and the accessors over them. A family adds its
 * config, its graphs and its forward passes (models/model.ts for Chronos-T5, models/bolt/model.ts for
 * Chronos-Bolt).
 */
import { FloatTensor } from '../core/tensor';
import { Checkpoint, checkpointHash } from './checkpoint';
import { OrtSession, ProviderChoice, SessionConfig } from './runtime/ort';
import { defaultCacheDir } from './runtime/graph-cache';
import { GraphSource, GraphTiming, ModelSessions } from './runtime/sessions';
import type { AttentionKind } from './t5/graph';
import type { LoraAdapter } from './lora';

export interface LoadOptions extends SessionConfig {
  /**
   * When the folder loaded is a LoRA adapter (models/lora.ts): its base checkpoint's folder. Default:
   * the adapter's base_model_name_or_path, as a folder (absolute, or relative to the adapter's folder)
   * or a repo id in the Hugging Face cache.
   */
  base?: string;
  /** A LoRA adapter merged into the weights as they are read (loadModel sets it for an adapter folder). */
  adapter?: LoraAdapter;
  /** Where built graphs and checkpoint hashes are cached; null disables the disk cache. */
  cacheDir?: string | null;
  /**
   * Where ONNX Runtime runs: 'inline' on the calling thread (CLI, tests), or 'worker' in a worker
   * thread so the caller's event loop stays responsive during long runs (the VS Code extension host).
   */
  sessionHost?: 'inline' | 'worker';
  /**
   * Where one-line warnings go (a graph cache that cannot be used, a cached graph that failed its
   * check and is rebuilt); default: stderr, as "chronos-lens: warning: ...".
   */
  onWarning?: (message: string) => void;
}

/** Load options with the default cache folder when none is given (null keeps the disk cache off). */
export function withDefaultCacheDir(options: LoadOptions): LoadOptions {
  return { ...options, cacheDir: options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir };
}

/** How a family builds its graphs: the part of a GraphSource that is not the checkpoint's. */
export type FamilyGraphs<S> = Pick<GraphSource<S>, 'builderVersion' | 'key' | 'build'>;

export abstract class LoadedModel<C, S> {
  protected readonly sessions: ModelSessions<S>;

  protected constructor(
    readonly checkpoint: Checkpoint<C>,
    protected readonly options: LoadOptions,
    graphs: FamilyGraphs<S>,
  ) {
    this.sessions = new ModelSessions<S>(
      {
        name: checkpoint.name,
        dir: checkpoint.dir,
        float32Bytes: checkpoint.float32Bytes,
        ...graphs,
        hash: (memo) => checkpointHash(checkpoint, memo),
      },
      {
        provider: options.provider,
        threads: options.threads,
        sessionHost: options.sessionHost,
        cacheDir: options.cacheDir ?? null,
        warn: options.onWarning ?? ((m) => process.stderr.write(`chronos-lens: warning: ${m}\n`)),
      },
    );
  }

  get config(): C {
    return this.checkpoint.config;
  }

  get name(): string {
    return this.checkpoint.name;
  }

  /** The provider the latest session runs on (undefined before the first session exists). */
  get provider(): ProviderChoice | undefined {
    return this.sessions.provider;
  }

  /** How each graph was obtained (built or from the disk cache) and how long it took. */
  get timings(): GraphTiming[] {
    return this.sessions.timings;
  }

  get cacheDir(): string | null {
    return this.options.cacheDir ?? null;
  }

  /** sha256 of config.json and the weights (memoised on disk when a usable cache folder is set). */
  hash(): Promise<string> {
    return this.sessions.hash();
  }

  /** The session for a graph spec, built (or loaded from the cache) on first use. */
  session(spec: S): Promise<OrtSession> {
    return this.sessions.session(spec);
  }

  async dispose(): Promise<void> {
    await this.sessions.dispose();
  }
}

/** Per-layer attentions and head outputs of a T5 stack, as the forward graphs of every family return them. */
export interface StackOutputs {
  encoderAttentions?: FloatTensor[];
  decoderAttentions?: FloatTensor[];
  crossAttentions?: FloatTensor[];
  headOutputs?: Partial<Record<AttentionKind, FloatTensor[]>>;
}

/**
 * Gathers a session result's `encoder_attn.<l>`, `decoder_attn.<l>`, `cross_attn.<l>` and `*_head.<l>`
 * outputs into per-layer lists; a kind the graph was not asked for stays undefined.
 */
export function stackOutputs(r: Record<string, FloatTensor>, t: { numLayers: number; numDecoderLayers: number }): StackOutputs {
  const layers = (prefix: string, n: number) => (r[`${prefix}.0`] ? Array.from({ length: n }, (_, l) => r[`${prefix}.${l}`]) : undefined);
  const out: StackOutputs = {
    encoderAttentions: layers('encoder_attn', t.numLayers),
    decoderAttentions: layers('decoder_attn', t.numDecoderLayers),
    crossAttentions: layers('cross_attn', t.numDecoderLayers),
  };
  const heads: Partial<Record<AttentionKind, FloatTensor[]>> = {};
  const e = layers('encoder_head', t.numLayers);
  const d = layers('decoder_head', t.numDecoderLayers);
  const c = layers('cross_head', t.numDecoderLayers);
  if (e) heads.encoder = e;
  if (d) heads.decoder = d;
  if (c) heads.cross = c;
  if (e || d || c) out.headOutputs = heads;
  return out;
}
