/**
 * Worker-thread host for ONNX Runtime sessions (see worker-session.ts). onnxruntime-node's `run` is
 * synchronous on the thread that calls it, so hosts that must stay responsive (the VS Code extension
 * host) run their sessions here: the main thread only posts feeds and receives outputs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ChronosLensError } from '../../core/errors';
import { createSession, Feed, OrtSession, SessionSource, useOrtPackage } from './ort';

interface CreateMsg {
  type: 'create';
  id: number;
  source: SessionSource;
  cfg: Parameters<typeof createSession>[1];
}
interface RunMsg {
  type: 'run';
  id: number;
  session: number;
  feeds: Record<string, Feed>;
}
interface ReleaseMsg {
  type: 'release';
  id: number;
  session: number;
}
type Msg = CreateMsg | RunMsg | ReleaseMsg;

const port = parentPort;
if (!port) throw new Error('ort-worker must run in a worker thread');
const data = (workerData ?? {}) as { ortPackage?: string };
if (data.ortPackage) useOrtPackage(data.ortPackage);

const sessions = new Map<number, OrtSession>();
let nextSession = 1;

function fail(id: number, e: unknown): void {
  const err = e instanceof Error ? e : new Error(String(e));
  port!.postMessage({ id, ok: false, error: { message: err.message, name: err.name, code: err instanceof ChronosLensError ? err.code : undefined, stack: err.stack } });
}

port.on('message', (msg: Msg) => {
  void (async () => {
    try {
      if (msg.type === 'create') {
        const s = await createSession(msg.source, msg.cfg);
        const session = nextSession++;
        sessions.set(session, s);
        port.postMessage({ id: msg.id, ok: true, result: { session, inputNames: [...s.inputNames], outputNames: [...s.outputNames], provider: s.provider, optimized: s.optimized } });
      } else if (msg.type === 'run') {
        const s = sessions.get(msg.session);
        if (!s) throw new ChronosLensError('RUNTIME', 'the session was released');
        const out = await s.run(msg.feeds);
        const transfer = Object.values(out).map((t) => t.data.buffer as ArrayBuffer);
        port.postMessage({ id: msg.id, ok: true, result: out }, [...new Set(transfer)]);
      } else if (msg.type === 'release') {
        const s = sessions.get(msg.session);
        sessions.delete(msg.session);
        await s?.release();
        port.postMessage({ id: msg.id, ok: true, result: null });
      }
    } catch (e) {
      fail(msg.id, e);
    }
  })();
});
