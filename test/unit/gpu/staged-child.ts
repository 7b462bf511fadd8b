/**
 * Run by staged.test.ts in a fresh process (useOrtPackage must come before ORT's first load):
 *   api <packageDir|-> <provider> <checkpoint>   load the checkpoint through ChronosModel with ORT from
 *                                                 packageDir ('-': the bundled one), run a forward pass,
 *                                                 print JSON: provider choice, which onnxruntime files the
 *                                                 process loaded (JS from require.cache, native libraries
 *                                                 from /proc/self/maps) and the logits.
 *   raw <packageDir> <checkpoint>                 require(packageDir) itself with ORT's log at 'warning' and
 *                                                 ask for ['cuda'] only: ORT logs on stderr why the provider
 *                                                 library did not load (which file, which loader error).
 */
import * as fs from 'node:fs';
import { loadCheckpoint } from '../../../models/checkpoint';
import { ChronosModel } from '../../../models/model';
import { useOrtPackage } from '../../../models/runtime/ort';
import { buildT5Graph } from '../../../models/t5/graph';

function nativeLibs(): string[] {
  try {
    const maps = fs.readFileSync('/proc/self/maps', 'utf8');
    return [...new Set(maps.split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter((p) => /onnxruntime/.test(p) && /\.(so(\.\d+)*|node)$/.test(p)))].sort();
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const [mode, dir, a, b] = process.argv.slice(2);
  if (mode === 'api') {
    if (dir !== '-') if (!useOrtPackage(dir)) throw new Error('useOrtPackage came too late');
    const model = await ChronosModel.load(b, { provider: a as 'cpu', cacheDir: null, threads: 1 });
    const ids = { data: [5, 7, 9, 11, 3, 1], dims: [1, 6] as [number, number] };
    const r = await model.forward({ inputIds: ids, attentionMask: { data: [1, 1, 1, 1, 1, 1], dims: [1, 6] }, decoderInputIds: { data: [0, 5, 6], dims: [1, 3] } }, { logits: true });
    const out = {
      provider: model.provider,
      js: Object.keys(require.cache).filter((k) => /onnxruntime-(node|common)|onnxruntime-gpu-/.test(k) && /index\.js$/.test(k)),
      native: nativeLibs(),
      logits: Array.from(r.logits?.data ?? []),
    };
    await model.dispose();
    process.stdout.write(JSON.stringify(out));
    return;
  }
  if (mode === 'raw') {
    const built = await buildT5Graph(await loadCheckpoint(a), { kind: 'forward', outputs: { logits: true } }).build();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require(dir) as { env: { logLevel: string }; InferenceSession: { create(b: Uint8Array, o: object): Promise<unknown> } };
    ort.env.logLevel = 'warning';
    try {
      await ort.InferenceSession.create(built.bytes!, { executionProviders: ['cuda'] });
      process.stdout.write(JSON.stringify({ created: true }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ created: false, error: (e as Error).message }));
    }
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((e) => {
  process.stderr.write(`staged-child: ${(e as Error).stack}\n`);
  process.exit(1);
});
