import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PROTOCOL_VERSION,
  ProtocolError,
  errorResponse,
  isRequestMessage,
  mosaicValidationContext,
  okResponse,
  parseWebviewMessage,
  requestIdOf,
  seriesValidationContext,
  validateWebviewMessage,
  type ValidationContext,
  type WebviewMessage,
} from '../../../protocol';
import type { ModelSummary, MosaicKind } from '../../../analysis/types';

function kind(layers: number, heads: number): MosaicKind {
  const m = () => Array.from({ length: layers }, () => new Array<number>(heads).fill(0));
  return { layers, heads, center: m(), right: m(), stderr: { center: m(), right: m() }, counts: { center: 0, right: 0, total: 0, heads: layers * heads, percent: 0 } };
}

const mosaicCtx = mosaicValidationContext({ cross: kind(6, 8), encoder: kind(6, 8) });

function expectError(r: { ok: boolean; error?: string }, fragment: string | RegExp): void {
  assert.equal(r.ok, false, 'expected the message to be rejected');
  const error = (r as { error: string }).error;
  if (typeof fragment === 'string') assert.ok(error.includes(fragment), `error ${JSON.stringify(error)} should contain ${JSON.stringify(fragment)}`);
  else assert.match(error, fragment);
}

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';

describe('protocol: mosaic view messages', () => {
  test('accepts each cell action with a head inside the mosaic', () => {
    for (const type of ['showHeadOnSeries', 'ablateHead', 'addToAblationSet', 'patchHead'] as const) {
      const r = validateWebviewMessage('mosaic', { type, head: { kind: 'cross', layer: 5, head: 7 } }, mosaicCtx);
      assert.deepEqual(r, { ok: true, message: { type, head: { kind: 'cross', layer: 5, head: 7 } } });
    }
  });

  test('rejects heads outside the mosaic, naming the field and the range', () => {
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'cross', layer: 6, head: 0 } }, mosaicCtx), 'ablateHead.head.layer: expected an integer in 0..5, got 6');
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'cross', layer: 0, head: -1 } }, mosaicCtx), 'ablateHead.head.head: expected an integer in 0..7, got -1');
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'cross', layer: 1.5, head: 0 } }, mosaicCtx), 'got 1.5');
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'decoder', layer: 0, head: 0 } }, mosaicCtx), 'has no "decoder" attention');
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'self', layer: 0, head: 0 } }, mosaicCtx), 'ablateHead.head.kind: expected one of "cross", "encoder", "decoder", got "self"');
    expectError(validateWebviewMessage('mosaic', { type: 'ablateHead', head: { kind: 'cross', layer: '1', head: 0 } }), 'ablateHead.head.layer: expected an integer >= 0, got "1"');
  });

  test('rejects missing and unexpected fields', () => {
    expectError(validateWebviewMessage('mosaic', { type: 'addToAblationSet' }), 'addToAblationSet.head: expected an object, got nothing');
    expectError(validateWebviewMessage('mosaic', { type: 'addToAblationSet', head: { kind: 'cross', layer: 0, head: 0 }, extra: 1 }), 'unexpected field "extra"');
    expectError(validateWebviewMessage('mosaic', { type: 'addToAblationSet', head: { kind: 'cross', layer: 0, head: 0, x: 1 } }), 'addToAblationSet.head: unexpected field "x"');
  });

  test('rejects non-objects, unknown types and other views\' types', () => {
    expectError(validateWebviewMessage('mosaic', 'ready'), 'message: expected an object with a "type", got "ready"');
    expectError(validateWebviewMessage('mosaic', null), 'got null');
    expectError(validateWebviewMessage('mosaic', [1]), 'got an array (length 1)');
    expectError(validateWebviewMessage('mosaic', { type: 7 }), 'message.type: expected a string, got 7');
    expectError(validateWebviewMessage('mosaic', { type: 'explode' }), 'message.type: expected one of "showHeadOnSeries"');
    expectError(validateWebviewMessage('mosaic', { type: 'requestLens', requestId: 'a', kind: 'encoder', position: 1 }), '"requestLens" belongs to the series view, not the mosaic view');
  });

  test('kindChanged must name a kind the mosaic has', () => {
    assert.ok(validateWebviewMessage('mosaic', { type: 'kindChanged', kind: 'encoder' }, mosaicCtx).ok);
    expectError(validateWebviewMessage('mosaic', { type: 'kindChanged', kind: 'decoder' }, mosaicCtx), 'has no "decoder"');
  });

  test('ready checks view and protocol version', () => {
    assert.ok(validateWebviewMessage('mosaic', { type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION }).ok);
    expectError(validateWebviewMessage('mosaic', { type: 'ready', view: 'series', protocolVersion: PROTOCOL_VERSION }), 'hosts the mosaic view, but the page says it is the series view');
    expectError(validateWebviewMessage('mosaic', { type: 'ready', view: 'mosaic', protocolVersion: PROTOCOL_VERSION + 1 }), `speaks protocol ${PROTOCOL_VERSION}, the page speaks ${PROTOCOL_VERSION + 1}`);
  });
});

describe('protocol: export requests', () => {
  const base = { type: 'export', requestId: 'r1' };
  test('accepts each format with a matching payload', () => {
    const ok: unknown[] = [
      { ...base, format: 'svg', suggestedName: 'mosaic.svg', content: { encoding: 'utf8', data: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' } },
      { ...base, format: 'svg', suggestedName: 'm.SVG', content: { encoding: 'utf8', data: '<?xml version="1.0"?>\n<svg></svg>\n' } },
      { ...base, format: 'png', suggestedName: 'mosaic.png', content: { encoding: 'base64', data: PNG } },
      { ...base, format: 'json', suggestedName: 'mosaic.json', content: { encoding: 'utf8', data: '{"data":[],"layout":{}}' } },
      { ...base, format: 'csv', suggestedName: 'mosaic.csv', content: { encoding: 'utf8', data: 'kind,layer,head\ncross,0,0\n' } },
    ];
    for (const m of ok) {
      const r = validateWebviewMessage('mosaic', m);
      assert.ok(r.ok, JSON.stringify(r));
    }
    assert.ok(validateWebviewMessage('ablation', ok[0]).ok);
    assert.ok(validateWebviewMessage('series', ok[2]).ok);
  });

  test('rejects mismatched or malformed payloads', () => {
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'pdf', suggestedName: 'a.pdf', content: { encoding: 'utf8', data: 'x' } }), 'export.format: expected one of "svg", "png", "json", "csv", got "pdf"');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'png', suggestedName: 'a.png', content: { encoding: 'utf8', data: PNG } }), 'export.content.encoding: expected "base64" for png, got "utf8"');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'png', suggestedName: 'a.png', content: { encoding: 'base64', data: `data:image/png;base64,${PNG}` } }), 'without a "data:" prefix');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'png', suggestedName: 'a.png', content: { encoding: 'base64', data: 'AAAA' } }), 'a PNG image');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'svg', suggestedName: 'a.svg', content: { encoding: 'utf8', data: '<html></html>' } }), 'an SVG document');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'json', suggestedName: 'a.json', content: { encoding: 'utf8', data: '{"a":' } }), 'expected JSON text, but it does not parse');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'json', suggestedName: 'a.json', content: { encoding: 'utf8', data: '3' } }), 'a JSON object or array, got 3');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'svg', suggestedName: '../evil.svg', content: { encoding: 'utf8', data: '<svg></svg>' } }), 'a plain file name');
    expectError(validateWebviewMessage('mosaic', { ...base, format: 'svg', suggestedName: 'a.png', content: { encoding: 'utf8', data: '<svg></svg>' } }), 'a name ending in ".svg"');
    expectError(validateWebviewMessage('mosaic', { ...base, requestId: '', format: 'svg', suggestedName: 'a.svg', content: { encoding: 'utf8', data: '<svg></svg>' } }), 'export.requestId: expected a non-empty string');
    expectError(
      validateWebviewMessage('mosaic', { ...base, format: 'svg', suggestedName: 'a.svg', content: { encoding: 'utf8', data: `<svg>${'x'.repeat(100)}</svg>` } }, { maxExportChars: 50 }),
      'export.content.data: expected a string of at most 50 characters, got a string of length 111',
    );
  });

  test('requestIdOf finds the id to answer an invalid request with', () => {
    assert.equal(requestIdOf({ type: 'export', requestId: 'abc', format: 'nope' }), 'abc');
    assert.equal(requestIdOf({ type: 'export', requestId: 3 }), undefined);
    assert.equal(requestIdOf('x'), undefined);
    assert.throws(
      () => parseWebviewMessage('mosaic', { type: 'export', requestId: 'abc', format: 'nope' }),
      (e: unknown) => e instanceof ProtocolError && e.requestId === 'abc' && /export\.format/.test(e.message),
    );
  });
});

describe('protocol: ablation view messages', () => {
  test('openRun checks the run id against the stored runs', () => {
    assert.deepEqual(validateWebviewMessage('ablation', { type: 'openRun', runId: 'run-1' }, { runIds: ['run-1'] }), { ok: true, message: { type: 'openRun', runId: 'run-1' } });
    expectError(validateWebviewMessage('ablation', { type: 'openRun', runId: 'run-2' }, { runIds: ['run-1'] }), 'openRun.runId: no stored run has id "run-2"');
    expectError(validateWebviewMessage('ablation', { type: 'ablateHead', head: { kind: 'cross', layer: 0, head: 0 } }), 'belongs to the mosaic view');
  });
});

describe('protocol: series view messages', () => {
  const model: ModelSummary = {
    name: 'chronos-t5-small', path: '/m', hash: 'h', encoderLayers: 6, decoderLayers: 6, heads: 8, dModel: 512, dKv: 64, contextLength: 512, predictionLength: 64,
  };
  const ctx: ValidationContext = seriesValidationContext(
    { file: 'a.csv', column: 'y', columns: ['y', 'z'], index: [0, 1], values: [1, 2], totalRows: 1000, context: { start: 488, end: 1000 } },
    model,
  );

  test('requestLens: position inside the context window or the forecast horizon', () => {
    assert.deepEqual(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q1', kind: 'encoder', position: 511, layer: 2 }, ctx), {
      ok: true,
      message: { type: 'requestLens', requestId: 'q1', kind: 'encoder', position: 511, layer: 2 },
    });
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q1', kind: 'encoder', position: 512 }, ctx), 'requestLens.position: expected an integer in 0..511, got 512');
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q1', kind: 'cross', position: 64 }, ctx), 'in 0..63, got 64');
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q1', kind: 'encoder', position: 1, layer: 6 }, ctx), 'requestLens.layer: expected an integer in 0..5, got 6');
    expectError(validateWebviewMessage('series', { type: 'requestLens', kind: 'encoder', position: 1 }, ctx), 'requestLens.requestId: expected a string, got nothing');
  });

  test('requestLens: sparkBins (the head grid\'s resolution) is a positive integer up to the limit', () => {
    assert.deepEqual(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q2', kind: 'cross', position: 3, layer: 1, sparkBins: 48 }, ctx), {
      ok: true,
      message: { type: 'requestLens', requestId: 'q2', kind: 'cross', position: 3, layer: 1, sparkBins: 48 },
    });
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q2', kind: 'encoder', position: 3, sparkBins: 0 }, ctx), 'requestLens.sparkBins: expected an integer in 1..512, got 0');
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q2', kind: 'encoder', position: 3, sparkBins: 1.5 }, ctx), 'requestLens.sparkBins');
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q2', kind: 'encoder', position: 3, rows: true }, ctx), 'unexpected field "rows"');
  });

  test('requestRange: rows [start, end) inside the column, a sane number of points', () => {
    assert.deepEqual(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z1', start: 10, end: 1000, points: 800 }, ctx), {
      ok: true,
      message: { type: 'requestRange', requestId: 'z1', start: 10, end: 1000, points: 800 },
    });
    assert.ok(isRequestMessage({ type: 'requestRange', requestId: 'z1', start: 0, end: 2, points: 3 }));
    expectError(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z1', start: 10, end: 1001, points: 800 }, ctx), 'requestRange.end: expected an integer in 11..1000, got 1001');
    expectError(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z1', start: 10, end: 10, points: 800 }, ctx), 'requestRange.end: expected an integer in 11..1000, got 10');
    expectError(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z1', start: -1, end: 10, points: 800 }, ctx), 'requestRange.start');
    expectError(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z1', start: 0, end: 10, points: 2 }, ctx), 'requestRange.points: expected an integer in 3..20000, got 2');
    expectError(validateWebviewMessage('mosaic', { type: 'requestRange', requestId: 'z1', start: 0, end: 10, points: 5 }), 'belongs to the series view');
  });

  test('before the model has loaded there is no attention to ask for', () => {
    const noModel = seriesValidationContext({ file: 'a.csv', column: 'y', columns: ['y'], index: [0], values: [1], totalRows: 10, context: { start: 0, end: 10 } }, undefined);
    expectError(validateWebviewMessage('series', { type: 'requestLens', requestId: 'q', kind: 'encoder', position: 0 }, noModel), 'nothing to index');
    assert.ok(validateWebviewMessage('series', { type: 'requestRange', requestId: 'z', start: 0, end: 10, points: 5 }, noModel).ok);
    assert.ok(validateWebviewMessage('series', { type: 'revealRow', row: 9 }, noModel).ok);
    expectError(validateWebviewMessage('series', { type: 'attributeStep', step: 0 }, noModel), 'attributeStep.step: expected an integer, but there is nothing to index (size 0)');
  });

  test('attributeStep: a forecast step of the model', () => {
    assert.deepEqual(validateWebviewMessage('series', { type: 'attributeStep', step: 63 }, ctx), { ok: true, message: { type: 'attributeStep', step: 63 } });
    expectError(validateWebviewMessage('series', { type: 'attributeStep', step: 64 }, ctx), 'attributeStep.step: expected an integer in 0..63, got 64');
    expectError(validateWebviewMessage('series', { type: 'attributeStep', step: 1.5 }, ctx), 'attributeStep.step');
    expectError(validateWebviewMessage('series', { type: 'attributeStep', step: 2, target: 'logit' }, ctx), 'unexpected field "target"');
    expectError(validateWebviewMessage('mosaic', { type: 'attributeStep', step: 2 }), 'belongs to the series view');
  });

  test('selectHead, selectColumn, revealRow', () => {
    assert.ok(validateWebviewMessage('series', { type: 'selectHead', selection: { mode: 'head', layer: 1, head: 7 } }, ctx).ok);
    assert.ok(validateWebviewMessage('series', { type: 'selectHead', selection: { mode: 'max', layer: 1 } }, ctx).ok);
    expectError(validateWebviewMessage('series', { type: 'selectHead', selection: { mode: 'head', layer: 1, head: 8 } }, ctx), 'selectHead.selection.head: expected an integer in 0..7, got 8');
    expectError(validateWebviewMessage('series', { type: 'selectHead', selection: { mode: 'mean', layer: 1, head: 2 } }, ctx), 'only allowed with mode "head"');
    expectError(validateWebviewMessage('series', { type: 'selectHead', selection: { mode: 'sum', layer: 1 } }, ctx), 'selectHead.selection.mode: expected one of "head", "max", "mean", got "sum"');
    assert.ok(validateWebviewMessage('series', { type: 'selectColumn', column: 'z' }, ctx).ok);
    expectError(validateWebviewMessage('series', { type: 'selectColumn', column: 'date' }, ctx), 'selectColumn.column: "date" is not one of the numeric columns ("y", "z")');
    assert.ok(validateWebviewMessage('series', { type: 'revealRow', row: 999 }, ctx).ok);
    expectError(validateWebviewMessage('series', { type: 'revealRow', row: 1000 }, ctx), 'revealRow.row: expected an integer in 0..999, got 1000');
  });

  test('cancel and webviewError are common to every view', () => {
    for (const view of ['mosaic', 'ablation', 'series'] as const) {
      assert.ok(validateWebviewMessage(view, { type: 'cancel', requestId: 'q1' }).ok);
      assert.ok(validateWebviewMessage(view, { type: 'webviewError', message: 'boom', stack: 'at x' }).ok);
    }
    expectError(validateWebviewMessage('series', { type: 'webviewError' }), 'webviewError.message: expected a string, got nothing');
  });
});

describe('protocol: responses', () => {
  test('helpers build responses with the request id', () => {
    assert.deepEqual(okResponse('export', 'r1', { saved: true, path: '/tmp/a.svg' }), { type: 'response', requestId: 'r1', ok: true, result: { saved: true, path: '/tmp/a.svg' } });
    assert.deepEqual(errorResponse('r2', 'disposed', 'The panel was closed.'), { type: 'response', requestId: 'r2', ok: false, error: { code: 'disposed', message: 'The panel was closed.' } });
    const m: WebviewMessage = { type: 'requestLens', requestId: 'a', kind: 'cross', position: 0 };
    assert.ok(isRequestMessage(m));
    assert.ok(!isRequestMessage({ type: 'cancel', requestId: 'a' }));
  });
});
