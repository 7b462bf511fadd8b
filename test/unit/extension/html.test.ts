/** The webview host page: strict CSP with a nonce, the view's bundle, the initial state as inert JSON. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from '../../../core/html';
import { contentSecurityPolicy, initialStateJson, INITIAL_STATE_ID, makeNonce, messageHtml, VIEW_TAGS, webviewHtml } from '../../../extension/lib/html';

const CSP_SOURCE = 'https://*.vscode-cdn.net';
const SCRIPT = 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/mosaic.js';

function cspOf(html: string): Map<string, string[]> {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'a CSP meta element');
  const text = m[1].replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return new Map(text.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
}

test('nonces are fresh, 128-bit base64', () => {
  const a = makeNonce();
  const b = makeNonce();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
});

test('the policy allows nothing remote and scripts only by nonce', () => {
  const nonce = makeNonce();
  const html = webviewHtml({ view: 'mosaic', title: 'Mosaic', cspSource: CSP_SOURCE, scriptUri: SCRIPT, nonce });
  const csp = cspOf(html);
  assert.deepEqual(csp.get('default-src'), ["'none'"]);
  assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
  assert.deepEqual(csp.get('style-src'), [CSP_SOURCE, `'nonce-${nonce}'`]);
  assert.deepEqual(csp.get('img-src'), [CSP_SOURCE, 'data:']);
  assert.deepEqual(csp.get('font-src'), [CSP_SOURCE]);
  assert.deepEqual(csp.get('base-uri'), ["'none'"]);
  assert.deepEqual(csp.get('form-action'), ["'none'"]);
  for (const [, v] of csp) {
    assert.ok(!v.includes("'unsafe-inline'") && !v.includes("'unsafe-eval'") && !v.includes('*') && !v.includes('https:') && !v.includes('http:'), v.join(' '));
  }
  assert.ok(![...csp.get('script-src')!].some((s) => s.includes('vscode-cdn')), 'scripts only by nonce, not by origin');
  // exactly one executable script, with the nonce and the bundle
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
  assert.deepEqual(scripts, [` nonce="${nonce}" src="${SCRIPT}"`]);
  assert.match(html, /<cl-mosaic-view><\/cl-mosaic-view>/);
  assert.doesNotMatch(html, /style="/);
});

test("code-server's cspSource (several sources) is accepted as given", () => {
  const nonce = makeNonce();
  const csp = cspOf(webviewHtml({ view: 'mosaic', title: 't', cspSource: "'self' https://*.vscode-cdn.net", scriptUri: SCRIPT, nonce }));
  assert.deepEqual(csp.get('style-src'), ["'self'", 'https://*.vscode-cdn.net', `'nonce-${nonce}'`]);
  assert.deepEqual(csp.get('img-src'), ["'self'", 'https://*.vscode-cdn.net', 'data:']);
  assert.deepEqual(csp.get('script-src'), [`'nonce-${nonce}'`]);
  assert.doesNotThrow(() => contentSecurityPolicy('vscode-webview-resource: http://127.0.0.1:8080', nonce));
});

test('each view gets its element; bad inputs are refused', () => {
  for (const view of ['mosaic', 'ablation', 'series'] as const) {
    assert.match(webviewHtml({ view, title: 't', cspSource: CSP_SOURCE, scriptUri: SCRIPT }), new RegExp(`<${VIEW_TAGS[view]}>`));
  }
  assert.throws(() => contentSecurityPolicy("https://x; script-src 'unsafe-inline'", makeNonce()), /invalid CSP source/);
  assert.throws(() => contentSecurityPolicy("'unsafe-inline'", makeNonce()), /invalid CSP source/);
  assert.throws(() => contentSecurityPolicy('https://x" onload="y', makeNonce()), /invalid CSP source/);
  assert.throws(() => contentSecurityPolicy('', makeNonce()), /invalid CSP source/);
  assert.throws(() => contentSecurityPolicy(CSP_SOURCE, "abc'"), /invalid CSP nonce/);
  assert.throws(() => webviewHtml({ view: 'mosaic', title: 't', cspSource: CSP_SOURCE, scriptUri: 'mosaic.js' }), /must be absolute/);
});

test('title and initial state cannot break out of their elements', () => {
  const evil = '</script><script>alert(1)</script><!-- & \u2028';
  const state = { type: 'showMosaic', title: evil, nested: [evil] };
  const html = webviewHtml({ view: 'mosaic', title: evil, cspSource: CSP_SOURCE, scriptUri: SCRIPT, initialState: state });
  assert.equal((html.match(/<script/g) ?? []).length, 2); // the JSON data block and the bundle
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2);
  assert.match(html, /<title>&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;!-- &amp; \u2028<\/title>/);
  const m = new RegExp(`<script type="application/json" id="${INITIAL_STATE_ID}">([^<]*)</script>`).exec(html);
  assert.ok(m, 'initial state element');
  assert.deepEqual(JSON.parse(m[1]), state);
  assert.equal(escapeHtml(`a"b'c`), 'a&quot;b&#39;c');
  assert.equal(JSON.parse(initialStateJson({ x: NaN })).x, null);
});

test('a message page runs nothing and escapes its text', () => {
  const html = messageHtml({ title: 'Mosaic · <x>', heading: 'This mosaic could not be restored', text: 'the saved mosaic panel 0123 is no longer stored (/s/<a>.json). Run it again.' });
  assert.deepEqual([...cspOf(html)], [['default-src', ["'none'"]]]);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<title>Mosaic · &lt;x&gt;<\/title>/);
  assert.match(html, /<h2>This mosaic could not be restored<\/h2>/);
  assert.match(html, /<p>the saved mosaic panel 0123 is no longer stored \(\/s\/&lt;a&gt;\.json\)\. Run it again\.<\/p>/);
});
