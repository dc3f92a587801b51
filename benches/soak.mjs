// The page's soak (not part of `make test`): the VWW page in headless Chromium on the fake
// webcam for at least FRAMES frames (default 10 000) in patch mode, the settings changing every
// EVERY frames (default 300); prints the workers' wasm memory, the main thread's JS heap and the
// frames shown per second at the start, every 2 000 frames, and at the end.
// `node benches/soak.mjs [FRAMES] [EVERY]` after `make web build`.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../tools/serve.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const [FRAMES = 10000, EVERY = 300] = process.argv.slice(2).map(Number);
const clip = join(mkdtempSync(join(tmpdir(), 'mcupatch-soak-')), 'astronaut.y4m');
execFileSync(join(ROOT, 'target/release/mcupatch'), ['fake-camera', join(ROOT, 'data/images/astronaut.png'), clip, '--size', '640x480', '--frames', '30']);

// Patch plans a class walks through: grids, splits, in-place switches, one planner search.
const PLANS = [
  { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
  { patch: ['4x4'], streamed_input: true, in_place_depthwise: true, in_place_pointwise: true, in_place_add: true },
  { patch: ['2x2'] },
  { patch: ['auto'], streamed_input: true, in_place_depthwise: true },
  { patch: ['6x6'], streamed_input: true },
  { patch: ['3x3'], float_input: true, in_place_add: true },
];

const server = await serve(join(ROOT, 'www'));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--enable-precise-memory-info', '--js-flags=--expose-gc',
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${clip}`],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
const problems = [];
page.on('pageerror', (e) => problems.push(e.message));
await page.goto(server.url);
await page.waitForFunction(() => ['person', 'no person'].includes(document.getElementById('verdict').textContent), null, { timeout: 120000 });

const frames = () => page.evaluate(() => window.mcupatchFramesShown());
async function sample(label) {
  const start = [Date.now(), await frames()];
  await page.waitForTimeout(3000);
  const fps = ((await frames()) - start[1]) * 1000 / (Date.now() - start[0]);
  const m = await page.evaluate(async () => {
    window.gc?.();
    return window.mcupatchMemory();
  });
  const mib = (b) => (b / 2 ** 20).toFixed(1).padStart(6);
  console.log(`${label.padEnd(34)} fps ${fps.toFixed(1).padStart(5)}  wasm runner ${mib(m.runner)} MiB  planner ${mib(m.planner)} MiB  JS heap ${mib(m.heap)} MiB`);
  return { fps, ...m };
}

const first = await sample('start');
let plan = 0;
let next = EVERY;
let report = 2000;
const began = Date.now();
for (let shown = await frames(); shown < FRAMES; shown = await frames()) {
  if (shown >= next) {
    await page.evaluate((s) => window.mcupatchSet(s), PLANS[plan++ % PLANS.length]);
    next = shown + EVERY;
  }
  if (shown >= report) {
    await sample(`${shown} frames, ${plan} changes, ${((Date.now() - began) / 60000).toFixed(1)} min`);
    report += 2000;
  }
  await page.waitForTimeout(500);
}
const last = await sample(`end (${await frames()})`);
await browser.close();
server.close();
console.log(`${plan} settings changes; fps ${first.fps.toFixed(1)} → ${last.fps.toFixed(1)}, runner wasm ${first.runner} → ${last.runner} B, JS heap ${first.heap} → ${last.heap} B; page errors: ${problems.length ? problems.join('; ') : 'none'}`);
