// The page's soak (not part of `make test`): the VWW page in headless Chromium on the fake
// webcam for at least FRAMES frames (default 10 000) in patch mode, the settings changing every
// EVERY frames (default 300); prints the workers' wasm memory, the main thread's JS heap and the
// frames shown per second at the start, every 2 000 frames, and at the end.
// `node benches/soak.mjs [FRAMES] [EVERY]` after `make web build`.
import { anyVerdict, camera, clip, launch, serveWww } from '../tests/web/harness.mjs';

const [FRAMES = 10000, EVERY = 300] = process.argv.slice(2).map(Number);

// Patch plans a class walks through: grids, splits, in-place switches, one planner search.
const PLANS = [
  { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
  { patch: ['4x4'], streamed_input: true, in_place_depthwise: true, in_place_pointwise: true, in_place_add: true },
  { patch: ['2x2'] },
  { patch: ['auto'], streamed_input: true, in_place_depthwise: true },
  { patch: ['6x6'], streamed_input: true },
  { patch: ['3x3'], float_input: true, in_place_add: true },
];

const server = await serveWww();
const browser = await launch(['--enable-precise-memory-info', '--js-flags=--expose-gc',
  ...camera(clip('astronaut.png', { size: '640x480', frames: 30 }))]);
let summary;
try {
  summary = await soak(await browser.newPage({ viewport: { width: 1280, height: 720 } }));
} finally {
  await browser.close();
  await server.close();
}
console.log(summary);

/// Plays the clip for FRAMES frames, changing the plan every EVERY frames, and prints the
/// memory and frame rate on the way; returns the summary line.
async function soak(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(server.url);
  await anyVerdict(page, 120000);

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
  return `${plan} settings changes; fps ${first.fps.toFixed(1)} → ${last.fps.toFixed(1)}, runner wasm ${first.runner} → ${last.runner} B, JS heap ${first.heap} → ${last.heap} B; page errors: ${problems.length ? problems.join('; ') : 'none'}`;
}
