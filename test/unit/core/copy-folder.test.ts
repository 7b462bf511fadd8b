/** copyIntoNewFolder (the samples' copy): a new folder every time, nothing existing touched, one-line errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { copyIntoNewFolder } from '../../../core/files';
import { withTempDir } from '../helpers';

/** Two source files in `src`, and an empty parent folder to copy into. */
async function withSources(fn: (files: string[], parent: string) => Promise<void>): Promise<void> {
  await withTempDir(async (src) => {
    const files = [path.join(src, 'a.csv'), path.join(src, 'README.md')];
    await fsp.writeFile(files[0], 'x\n1\n2\n');
    await fsp.writeFile(files[1], '# samples\n');
    await withTempDir((parent) => fn(files, parent));
  });
}

test('copies into <parent>/<name>, then <name>-2, … and never into an existing folder, even an empty one', () =>
  withSources(async (files, parent) => {
    const first = await copyIntoNewFolder(files, parent, 'samples');
    assert.equal(first.folder, path.join(parent, 'samples'));
    assert.deepEqual(first.files, [path.join(parent, 'samples', 'a.csv'), path.join(parent, 'samples', 'README.md')]);
    assert.equal(await fsp.readFile(first.files[0], 'utf8'), 'x\n1\n2\n');
    // the user edits the copy: a second copy leaves it alone
    await fsp.writeFile(first.files[0], 'edited');
    await fsp.mkdir(path.join(parent, 'samples-2'));
    await fsp.writeFile(path.join(parent, 'samples-3'), 'a file of that name');
    const second = await copyIntoNewFolder(files, parent, 'samples');
    assert.equal(second.folder, path.join(parent, 'samples-4'));
    assert.equal(await fsp.readFile(first.files[0], 'utf8'), 'edited');
    assert.deepEqual(await fsp.readdir(path.join(parent, 'samples-2')), []);
    assert.equal(await fsp.readFile(path.join(parent, 'samples-3'), 'utf8'), 'a file of that name');
    // no temporary folder left behind
    assert.deepEqual((await fsp.readdir(parent)).sort(), ['samples', 'samples-2', 'samples-3', 'samples-4']);
  }));

test('a missing parent, a file as parent or a missing source: one line naming the folder, nothing left behind', () =>
  withSources(async (files, parent) => {
    await assert.rejects(copyIntoNewFolder(files, path.join(parent, 'nope'), 'samples'), (e: Error) => /cannot copy into .*nope: the folder does not exist/.test(e.message) && !e.message.includes('\n'));
    await assert.rejects(copyIntoNewFolder(files, files[0], 'samples'), /cannot copy into .*a\.csv: it is a file, not a folder/);
    await assert.rejects(copyIntoNewFolder([...files, path.join(parent, 'gone.csv')], parent, 'samples'), /cannot copy .*gone\.csv into .*: it does not exist/);
    assert.deepEqual(await fsp.readdir(parent), []);
  }));
