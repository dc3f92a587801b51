// The page's speed in headless Chromium (Debian's chromium, playwright-core), the webcam
// fed from the astronaut photo: frames per second and milliseconds per inference for
// layer by layer and for patch plans, measured in the same run. Reports; asserts nothing.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../tools/serve.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const clip = join(mkdtempSync(join(tmpdir(), 'mcupatch-bench-')), 'astronaut.y4m');
execFileSync(join(ROOT, 'target/release/mcupatch'), ['fake-camera', join(ROOT, 'data/images/astronaut.png'), clip, '--size', '640x480']);

const server = await serve(join(ROOT, 'www'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
await page.goto(server.url);
await page.waitForFunction(() => ['person', 'no person'].includes(document.getElementById('verdict').textContent), null, { timeout: 30000 });

const modes = [
  ['layer by layer', { patch: '' }],
  ['3x3 patches, streamed, in-place depthwise', { patch: '3x3' }],
  ['4x4 patches, all in place', { patch: '4x4', pw: true, add: true }],
];
const results = [];
for (const [name, m] of modes) {
  await page.setChecked('#inplace-pw', Boolean(m.pw));
  await page.setChecked('#inplace-add', Boolean(m.add));
  await page.selectOption('#patch-select', m.patch);
  await page.waitForTimeout(1500);
  const samples = [];
  for (let i = 0; i < 10; i++) {
    await page.waitForTimeout(300);
    samples.push(await page.evaluate(() => ({
      fps: parseFloat(document.getElementById('fps').textContent),
      ms: parseFloat(document.getElementById('ms').textContent),
      peak: Number(document.getElementById('peak-bytes').textContent),
    })));
  }
  const mean = (k) => samples.reduce((a, s) => a + s[k], 0) / samples.length;
  results.push({ name, fps: mean('fps'), ms: mean('ms'), peak: samples[0].peak });
}
await browser.close();
server.close();

console.log('page in headless Chromium, 640x480 fake webcam, VWW model (frame, preprocessing and inference in wasm):');
for (const r of results) {
  console.log(`  ${r.name.padEnd(44)} ${r.fps.toFixed(1).padStart(6)} fps  ${r.ms.toFixed(2).padStart(7)} ms/inference  peak ${r.peak} B`);
}
const [lbl, patched] = results;
console.log(`  patches cost ${(patched.ms / lbl.ms).toFixed(2)}x the time of layer by layer per inference`);
