/** chronos-lens info [--model DIR]: what a checkpoint is, and where it would run. */
import { BoltModel } from '../../models/bolt/model';
import { Chronos2Model } from '../../models/chronos2/model';
import { isBolt, isChronos2 } from '../../models/load';
import { availableProviders, ortVersion } from '../../models/runtime/ort';
import { CliIO, MODEL_OPTIONS, loadModelFromFlags, parse, printJson } from '../common';

export const usage = `chronos-lens info [--model DIR|OWNER/NAME [--download] [--revision R]] [--base DIR|OWNER/NAME] [--provider P] [--json]

Shows a checkpoint's configuration, size and content hash, and the execution providers available.
--model may be a PEFT LoRA adapter folder of a Chronos-2 model (adapter_config.json and
adapter_model.safetensors): it is merged into its base, --base or else the adapter's base_model_name_or_path
(a folder, absolute or relative to the adapter's, or a repo id in the Hugging Face cache).`;

export async function run(argv: string[], io: CliIO): Promise<number> {
  const { values } = parse(argv, { ...MODEL_OPTIONS, json: { type: 'boolean' } }, false);
  if (values.help) {
    io.stdout.write(usage + '\n');
    return 0;
  }
  const model = await loadModelFromFlags(values, io, { families: 'any' });
  try {
    if (isBolt(model)) return await boltInfo(model, values.json === true, io);
    if (isChronos2(model)) return await chronos2Info(model, values.json === true, io);
    const t = model.config.t5;
    const c = model.config.chronos;
    // Build the smallest graph so the provider actually used (and any fallback) is known.
    await model.session({ kind: 'encoder', outputs: {} });
    const info = {
      name: model.name,
      path: model.checkpoint.dir,
      hash: await model.hash(),
      parameters: model.checkpoint.float32Bytes / 4,
      files: model.checkpoint.files,
      t5: t,
      chronos: c,
      onnxruntime: ortVersion(),
      providers: availableProviders(),
      executionProvider: model.provider,
    };
    if (values.json) printJson(io, info);
    else {
      const ep = model.provider!;
      io.stdout.write(
        [
          `${info.name}  (${info.path})`,
          `  sha256        ${info.hash}`,
          `  parameters    ${(info.parameters / 1e6).toFixed(2)} M`,
          `  layers        ${t.numLayers} encoder, ${t.numDecoderLayers} decoder; ${t.numHeads} heads; d_model ${t.dModel}, d_kv ${t.dKv}, d_ff ${t.dFf} (${t.feedForwardProj})`,
          `  vocabulary    ${t.vocabSize} tokens; bins on [${c.lowLimit}, ${c.highLimit}]`,
          `  context       ${c.contextLength} values; prediction length ${c.predictionLength}; ${c.numSamples} samples, top-k ${c.topK}, top-p ${c.topP}, temperature ${c.temperature}`,
          `  runtime       onnxruntime ${info.onnxruntime}; provider ${ep.used}${ep.fallbackReason ? ` (requested ${ep.requested}: ${ep.fallbackReason})` : ''}`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  } finally {
    await model.dispose();
  }
}

/** What the patch-based families' descriptions start with. */
async function familyInfo(model: BoltModel | Chronos2Model) {
  const a = model.checkpoint.adapter;
  return { name: model.name, family: model.family, path: model.checkpoint.dir, ...(a ? { adapter: { path: a.dir, modules: a.modules } } : {}), hash: await model.hash(), parameters: model.checkpoint.float32Bytes / 4, files: model.checkpoint.files };
}

function runtimeInfo(model: BoltModel | Chronos2Model) {
  return { onnxruntime: ortVersion(), providers: availableProviders(), executionProvider: model.provider };
}

/** The same description for a Chronos-Bolt checkpoint: its patching, horizon and quantile levels instead of a vocabulary and sampling. */
async function boltInfo(model: BoltModel, json: boolean, io: CliIO): Promise<number> {
  const t = model.config.t5;
  const b = model.config.bolt;
  await model.session({ kind: 'bolt-forward', outputs: { quantiles: true } });
  const info = {
    ...(await familyInfo(model)),
    t5: t,
    chronos: b,
    ...runtimeInfo(model),
  };
  if (json) {
    printJson(io, info);
    return 0;
  }
  const ep = model.provider!;
  const levels = b.quantiles.length > 4 ? `${b.quantiles[0]}, ${b.quantiles[1]}, …, ${b.quantiles[b.quantiles.length - 1]}` : b.quantiles.join(', ');
  io.stdout.write(
    [
      `${info.name}  (${info.path})`,
      `  family        Chronos-Bolt: patches of ${b.inputPatchSize} values (stride ${b.inputPatchStride})${b.useRegToken ? ', a [REG] token' : ''}, one decoder token, a quantile head`,
      `  sha256        ${info.hash}`,
      `  parameters    ${(info.parameters / 1e6).toFixed(2)} M`,
      `  layers        ${t.numLayers} encoder, ${t.numDecoderLayers} decoder; ${t.numHeads} heads; d_model ${t.dModel}, d_kv ${t.dKv}, d_ff ${t.dFf} (${t.feedForwardProj})`,
      `  context       ${b.contextLength} values (${Math.ceil(b.contextLength / b.inputPatchStride)} patches); prediction length ${b.predictionLength}; ${b.quantiles.length} quantile levels (${levels})`,
      `  runtime       onnxruntime ${info.onnxruntime}; provider ${ep.used}${ep.fallbackReason ? ` (requested ${ep.requested}: ${ep.fallbackReason})` : ''}`,
    ].join('\n') + '\n',
  );
  return 0;
}

/** A Chronos-2 checkpoint: an encoder with time and group attention, output patches and a quantile head. */
async function chronos2Info(model: Chronos2Model, json: boolean, io: CliIO): Promise<number> {
  const t = model.config.t5;
  const x = model.config.chronos2;
  await model.session({ kind: 'chronos2-forward', outputs: { quantiles: true } });
  const info = {
    ...(await familyInfo(model)),
    encoder: { dModel: t.dModel, dKv: t.dKv, dFf: t.dFf, numLayers: t.numLayers, numHeads: t.numHeads, feedForwardProj: t.feedForwardProj, layerNormEpsilon: t.layerNormEpsilon, ropeTheta: model.config.ropeTheta },
    chronos: x,
    ...runtimeInfo(model),
  };
  if (json) {
    printJson(io, info);
    return 0;
  }
  const ep = model.provider!;
  const q = x.quantiles;
  const levels = q.length > 4 ? `${q[0]}, ${q[1]}, …, ${q[q.length - 1]}` : q.join(', ');
  io.stdout.write(
    [
      `${info.name}  (${info.path})`,
      `  family        Chronos-2: patches of ${x.patchSize} values with a time encoding${x.useArcsinh ? ' (arcsinh-scaled)' : ''}, a [REG] token, output-patch tokens; time and group attention; a quantile head`,
      ...(info.adapter ? [`  LoRA adapter  ${info.adapter.path}: ${info.adapter.modules} linear layers adapted, merged into the weights`] : []),
      `  sha256        ${info.hash}`,
      `  parameters    ${(info.parameters / 1e6).toFixed(2)} M`,
      `  layers        ${t.numLayers} encoder blocks (time attention, group attention, feed-forward); ${t.numHeads} heads; d_model ${t.dModel}, d_kv ${t.dKv}, d_ff ${t.dFf} (${t.feedForwardProj}); RoPE theta ${model.config.ropeTheta}`,
      `  context       ${x.contextLength} values (${Math.ceil(x.contextLength / x.patchSize)} patches); ${x.maxOutputPatches} output patches (${x.maxOutputPatches * x.patchSize} steps) per pass; ${q.length} quantile levels (${levels})`,
      `  runtime       onnxruntime ${info.onnxruntime}; provider ${ep.used}${ep.fallbackReason ? ` (requested ${ep.requested}: ${ep.fallbackReason})` : ''}`,
    ].join('\n') + '\n',
  );
  return 0;
}
