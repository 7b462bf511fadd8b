/**
 * Model families. Every Chronos config.json says `model_type: "t5"`; the family is told by
 * `architectures` and `chronos_pipeline_class`, as chronos-forecasting's BaseChronosPipeline does:
 *  - Chronos-T5 (ChronosPipeline / T5ForConditionalGeneration): tokens, a sampled decoder;
 *  - Chronos-Bolt (ChronosBoltPipeline / ChronosBoltModelForForecasting): patches, one decoder token,
 *    a quantile head;
 *  - Chronos-2 (Chronos2Pipeline / Chronos2Model): an encoder over patches with time and group
 *    attention, output patch tokens, a quantile head;
 * anything else (causal Chronos, an unknown pipeline class or architecture) is refused by name.
 *
 * What a family provides and what is shared is described in DEVELOPING.md ("Model families").
 */
import { ChronosLensError } from '../core/errors';

export type ModelFamily = 'chronos-t5' | 'chronos-bolt' | 'chronos-2';

type Json = Record<string, unknown>;

const T5_PIPELINES = ['ChronosPipeline'];
const BOLT_PIPELINES = ['ChronosBoltPipeline'];
const BOLT_ARCHITECTURES = ['ChronosBoltModelForForecasting'];
const CHRONOS2_PIPELINES = ['Chronos2Pipeline'];
const CHRONOS2_ARCHITECTURES = ['Chronos2Model'];

/** config.json text as a JSON object, or a BAD_CONFIG error naming the file. */
export function parseConfigJson(text: string, file: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ChronosLensError('BAD_CONFIG', `${file}: not valid JSON (${(e as Error).message.split('\n')[0].slice(0, 120)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ChronosLensError('BAD_CONFIG', `${file}: expected a JSON object at the top level`);
  return raw as Json;
}

function own(obj: Json, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

function shown(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
}

/**
 * The family of a parsed config.json. Refuses (UNSUPPORTED_MODEL) causal Chronos, a Chronos-2
 * architecture other than Chronos2Model, and any pipeline class or model_type that is not one of ours,
 * naming what it found.
 */
export function detectFamily(raw: Json, file = 'config.json'): ModelFamily {
  const archsRaw = own(raw, 'architectures');
  const archs = Array.isArray(archsRaw) ? archsRaw.map(String) : [];
  const pipelineRaw = own(raw, 'chronos_pipeline_class');
  const pipeline = typeof pipelineRaw === 'string' ? pipelineRaw : undefined;
  const cc = own(raw, 'chronos_config');
  const modelType = own(raw, 'model_type');
  const refuse = (what: string): never => {
    throw new ChronosLensError('UNSUPPORTED_MODEL', `${file}: not supported: ${what}. Chronos Lens runs Chronos-T5 (amazon/chronos-t5-*), Chronos-Bolt (amazon/chronos-bolt-*) and Chronos-2 (amazon/chronos-2) checkpoints.`);
  };
  if (archs.some((a) => BOLT_ARCHITECTURES.includes(a)) || (pipeline !== undefined && BOLT_PIPELINES.includes(pipeline))) return 'chronos-bolt';
  if (archs.some((a) => CHRONOS2_ARCHITECTURES.includes(a)) || (archs.length === 0 && pipeline !== undefined && CHRONOS2_PIPELINES.includes(pipeline))) return 'chronos-2';
  if (archs.some((a) => /Chronos2/i.test(a)) || (pipeline !== undefined && /Chronos2/i.test(pipeline))) return refuse(`Chronos-2 ${archs.length ? `architecture ${shown(archs[0])}` : `pipeline ${shown(pipeline ?? '')}`} (only Chronos2Model is known)`);
  if (typeof cc === 'object' && cc !== null && own(cc as Json, 'model_type') === 'causal') return refuse(`causal Chronos (chronos_config.model_type "causal"${archs[0] ? `, ${shown(archs[0])}` : ''})`);
  if (pipeline !== undefined && !T5_PIPELINES.includes(pipeline)) return refuse(`chronos_pipeline_class ${shown(pipeline)}`);
  if (modelType !== undefined && modelType !== 't5') return refuse(`model_type ${shown(String(modelType))}`);
  return 'chronos-t5';
}
