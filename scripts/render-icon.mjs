#!/usr/bin/env node
// Renders images/icon.svg to images/icon.png (128x128, transparent corners) with headless Chromium,
// the same browser the webview and end-to-end tests use. Run after editing the SVG; the PNG is committed.
// Usage: node scripts/render-icon.mjs
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const svg = readFileSync(`${root}images/icon.svg`, 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 }, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><html><body style="margin:0;background:transparent">${svg}</body></html>`);
  await page.locator('svg').screenshot({ path: `${root}images/icon.png`, omitBackground: true });
  console.log('wrote images/icon.png');
} finally {
  await browser.close();
}
