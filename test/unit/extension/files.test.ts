/** Figure exports: decoded from the protocol's content and written atomically. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { exportBytes, withFormatExtension, writeFileAtomic } from '../../../extension/lib/files';
import { tempDir } from '../helpers';

test('utf8 and base64 payloads', () => {
  assert.equal(exportBytes({ encoding: 'utf8', data: '<svg>é</svg>' }).toString('utf8'), '<svg>é</svg>');
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 255]);
  assert.deepEqual(exportBytes({ encoding: 'base64', data: png.toString('base64') }), png);
  assert.equal(withFormatExtension('/a/fig', 'svg'), '/a/fig.svg');
  assert.equal(withFormatExtension('/a/fig.SVG', 'svg'), '/a/fig.SVG');
});

test('writes replace the file in one step and leave no temporary files', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'mosaic.svg');
  await writeFileAtomic(file, 'first');
  await writeFileAtomic(file, Buffer.from('second'));
  assert.equal(await fsp.readFile(file, 'utf8'), 'second');
  await Promise.all(Array.from({ length: 8 }, (_, i) => writeFileAtomic(file, `v${i}`)));
  assert.match(await fsp.readFile(file, 'utf8'), /^v\d$/);
  assert.deepEqual(await fsp.readdir(dir), ['mosaic.svg']);
});

test('a failed write names the file and the reason, and cleans up', async () => {
  const dir = await tempDir();
  await assert.rejects(writeFileAtomic(path.join(dir, 'missing', 'x.svg'), 'x'), /cannot write .*x\.svg: the folder does not exist/);
  // the target is a folder: the rename fails after the temporary file was written
  await fsp.mkdir(path.join(dir, 'taken'));
  await assert.rejects(writeFileAtomic(path.join(dir, 'taken'), 'x'), /cannot write .*taken/);
  assert.deepEqual((await fsp.readdir(dir)).sort(), ['taken']);
});
