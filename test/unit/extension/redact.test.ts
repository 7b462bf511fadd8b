/**
 * Secrets never reach the output channel: the registered token, anything shaped like a Hugging Face token,
 * Bearer values and URL credentials are scrubbed from log lines and from errors (and their causes);
 * VS Code's proxy settings become the download options, from the user scope, without showing credentials.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChronosLensError } from '../../../core/errors';
import { describeNetwork, hideCredentials, networkOptions } from '../../../extension/lib/network';
import { redactError, Redactor } from '../../../extension/lib/redact';

const TOKEN = 'hf_SECRETsecretSECRET0123456789';

test('the registered token and token-like strings are scrubbed from log lines', () => {
  const r = new Redactor();
  r.add(TOKEN);
  r.add('abc'); // too short to register: it would mangle ordinary words
  assert.equal(r.redact(`sent ${TOKEN} twice: ${TOKEN}`), 'sent *** twice: ***');
  assert.equal(r.redact('another hf_AbCdEfGh12345678 here'), 'another hf_*** here');
  assert.equal(r.redact('Authorization: Bearer sk-live.123/abc=='), 'Authorization: Bearer ***');
  assert.equal(r.redact('proxy http://alice:s3cret@proxy:3128 failed'), 'proxy http://***@proxy:3128 failed');
  assert.equal(r.redact('a cabbage and abc'), 'a cabbage and abc');
  const custom = 'opaque-enterprise-token-42';
  r.add(custom);
  assert.equal(r.redact(`x ${custom} y`), 'x *** y');
  r.delete(custom);
  assert.equal(r.redact(`x ${custom} y`), `x ${custom} y`);
});

test('errors and their causes are scrubbed in place (message and stack)', () => {
  const r = new Redactor();
  r.add(TOKEN);
  const cause = new Error(`server said: Bearer ${TOKEN}`);
  const e = new ChronosLensError('NETWORK', `failed with ${TOKEN}`, { cause });
  assert.equal(redactError(e, r), e);
  assert.equal(e.message, 'failed with ***');
  assert.ok(!e.stack?.includes(TOKEN));
  assert.equal(cause.message, 'server said: Bearer ***');
  assert.equal(redactError('not an error', r), 'not an error');
});

test('VS Code http.* settings -> download options', () => {
  assert.deepEqual(networkOptions({}), {});
  assert.deepEqual(networkOptions({ proxy: '  ', noProxy: [], proxyStrictSSL: true }), {});
  assert.deepEqual(networkOptions({ proxy: ' http://u:p@proxy:3128 ', noProxy: ['internal.example', '', 3], proxyStrictSSL: false }), {
    proxy: 'http://u:p@proxy:3128',
    noProxy: ['internal.example'],
    strictSSL: false,
  });
  assert.equal(hideCredentials('http://u:p@proxy:3128'), 'http://***@proxy:3128');
  assert.equal(hideCredentials('proxy:3128'), 'proxy:3128');
  const line = describeNetwork({ proxy: 'http://u:p@proxy:3128', noProxy: ['a.example'], strictSSL: false });
  assert.match(line, /proxy http:\/\/\*\*\*@proxy:3128 \(http\.proxy\); no proxy for a\.example; TLS certificates NOT verified/);
  assert.ok(!line.includes('u:p'));
  assert.match(describeNetwork({}), /from the environment/);
});
