// The page's speed in headless Chromium (Debian's chromium, playwright-core), the webcam
// fed from the astronaut photo: frames shown per second, animation frames per second (the
// display's rate while the main thread keeps up), exactness checks run, milliseconds per
// inference (in the runner worker) and per animation frame (main thread) for layer by layer,
// patch plans and break-it mode, both arenas drawn side by side,
// measured in the same run; then the planner's time in its worker for VWW auto, two stages
// and MobileNetV2 auto, with the main thread's long tasks (PerformanceObserver `longtask`)
// and the frames shown meanwhile. Reports; asserts nothing.
import { loadavg } from 'node:os';
import { anyVerdict, camera, clip, idle as idleFor, launch, newPage, serveWww } from '../tests/web/harness.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/// The page's figures in each mode, and the planner's in the worker.
async function measure(page) {
  const idle = () => idleFor(page, 600000);
  // Both arenas are always drawn side by side; with a patch plan the exactness badge runs
  // every 10th frame layer by layer too; break-it runs every frame a third time without halos.
  const modes = [
    ['layer by layer', { patch: [] }],
    ['3x3 patches, streamed, in-place depthwise', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true }],
    ['4x4 patches, all in place', { patch: ['4x4'], streamed_input: true, in_place_depthwise: true, in_place_pointwise: true, in_place_add: true }],
    ['3x3 patches + break it (no halos)', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true }, true],
  ];
  const results = [];
  for (const [name, settings, breakIt] of modes) {
    await page.evaluate((s) => window.mcupatchSet(s), settings);
    await idle();
    await page.setChecked('#break-it', Boolean(breakIt));
    await page.waitForTimeout(1500);
    const [frames0, ticks0, checks0] = await page.evaluate(() => { window.longTasks.length = 0; return [window.mcupatchFramesShown(), window.mcupatchAnimationFrames(), window.mcupatchChecks()]; });
    const samples = [];
    const start = Date.now();
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(300);
      samples.push(await page.evaluate(() => parseFloat(document.getElementById('ms').textContent)));
    }
    const [frames1, ticks1, checks1, mainMs, longTasks, peak, badge] = await page.evaluate(() => [window.mcupatchFramesShown(), window.mcupatchAnimationFrames(), window.mcupatchChecks(), window.mcupatchMainMs(), window.longTasks.length, window.mcupatchPlan().patched.peak.bytes, document.getElementById('exact-badge').textContent]);
    const seconds = (Date.now() - start) / 1000;
    results.push({ name, fps: (frames1 - frames0) / seconds, display: (ticks1 - ticks0) / seconds, checks: checks1 - checks0, badge, ms: median(samples), mainMs: median(mainMs), longTasks, peak });
    await page.setChecked('#break-it', false);
  }

  const plans = [];
  const planned = async (name, act) => {
    const frames0 = await page.evaluate(() => { window.longTasks.length = 0; return window.mcupatchFramesShown(); });
    const start = Date.now();
    await act();
    await idle();
    const [frames1, ms, longTasks] = await page.evaluate(() => [window.mcupatchFramesShown(), window.mcupatchPlanMs(), window.longTasks]);
    plans.push({ name, ms, wall: Date.now() - start, frames: frames1 - frames0, longTasks });
  };
  await page.evaluate(() => window.mcupatchSet({ patch: [], split: [] }));
  await idle();
  await planned('VWW auto', () => page.evaluate(() => window.mcupatchSet({ patch: ['auto'], streamed_input: true, in_place_depthwise: true })));
  await planned('VWW auto, two stages', () => page.evaluate(() => window.mcupatchSet({ patch: ['auto'], multi_stage: true, streamed_input: true, in_place_depthwise: true })));
  await page.selectOption('#model-select', 'mbv2');
  await idle();
  await planned('MobileNetV2 auto', () => page.evaluate(() => window.mcupatchSet({ patch: ['auto'], split: [], streamed_input: true, in_place_depthwise: true })));
  return { results, plans };
}

const server = await serveWww();
// The CLI's default 30 frames, at 640x480.
const browser = await launch(camera(clip('astronaut.png', { size: '640x480', frames: 30 })));
let measured;
try {
  const { page } = await newPage(browser);
  await page.goto(server.url);
  await anyVerdict(page, 60000);
  measured = await measure(page);
} finally {
  await browser.close();
  await server.close();
}
const { results, plans } = measured;

console.log(`page in headless Chromium, 640x480 fake webcam, VWW model; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:`);
for (const r of results) {
  console.log(`  ${r.name.padEnd(44)} ${r.fps.toFixed(1).padStart(5)} frames shown/s  ${r.display.toFixed(1).padStart(5)} animation frames/s  ${r.ms.toFixed(2).padStart(7)} ms/inference (worker)  ${r.mainMs.toFixed(2).padStart(6)} ms/animation frame (main)  ${String(r.longTasks).padStart(3)} long tasks  peak ${r.peak} B  ${r.checks} exactness checks: ${r.badge}`);
}
const [lbl, patched] = results;
console.log(`  patches cost ${(patched.ms / lbl.ms).toFixed(2)}x the time of layer by layer per inference`);
console.log('planning in the planner worker while the camera runs:');
for (const p of plans) {
  const long = p.longTasks.filter((d) => d > 50);
  console.log(`  ${p.name.padEnd(24)} ${p.ms.toFixed(0).padStart(6)} ms in the worker (${p.wall} ms wall)  ${String(p.frames).padStart(4)} frames shown meanwhile  ${long.length} long tasks > 50 ms on the main thread (longest ${Math.round(Math.max(0, ...long))} ms)`);
}
