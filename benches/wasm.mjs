// Raw inference in WebAssembly (headless Chromium, Debian's chromium via playwright-core) next
// to mcupatch native, in the same run, on the VWW person detector: layer by layer and the
// smallest-peak plan (3x3 patches to the 12x12x32 map, the frame streamed, depthwise convs in
// place). The browser times `Session.run_input` on the int8 pixels of the astronaut photo (no
// camera, no drawing) in batches of two
// (the page is not cross-origin isolated: its clock ticks in 100 us; short batches are seldom
// preempted on a shared machine, long ones nearly always), summarised by their interquartile
// mean, which the ticks average out of (a median of 0.55 ms batches moves in steps of 9 %);
// natively `mcupatch bench` times the same session's runs, before and after the browser.
// Prints the wasm / native ratio; asserts nothing. Needs `make web build` (Makefile: bench-wasm).
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { CLI, VWW, launch, serveWww } from '../tests/web/harness.mjs';

const RUNS = 300;
const plans = [
  ['layer by layer', { sram: 262144 }, []],
  ['3x3 patches to t65, streamed, in-place depthwise',
    { sram: 262144, patch: ['3x3'], split: ['t65'], streamed_input: true, in_place_depthwise: true },
    ['--patch', '3x3', '--split', 't65', '--streamed-input', '--in-place-depthwise']],
];

const native = (flags) => JSON.parse(execFileSync(CLI,
  ['bench', VWW, '--runs', String(RUNS), '--sram', '256K', ...flags, '--json']).toString());

const server = await serveWww();
const browser = await launch();
const rows = [];
try {
  const page = await browser.newPage();
  // A page without the app's scripts: the bench imports the wasm package itself.
  await page.goto(`${server.url}/style.css`);
  for (const [name, settings, flags] of plans) {
    const before = native(flags);
    const wasm = await page.evaluate(async ({ settings, runs }) => {
      const { default: init, Session } = await import('/pkg/mcupatch.js');
      await init();
      const model = new Uint8Array(await (await fetch('/assets/visual_wake_words.tflite')).arrayBuffer());
      const session = new Session(model);
      const plan = JSON.parse(session.plan(JSON.stringify(settings)));
      // The photo as the network sees it: decoded by the browser, preprocessed by the session.
      const bitmap = await createImageBitmap(await (await fetch('/assets/astronaut.png')).blob());
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0);
      const rgba = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const label = JSON.parse(session.run_rgba(new Uint8Array(rgba.buffer), bitmap.width, bitmap.height)).label;
      const input = session.last_input();
      // Untimed runs first: V8 starts the module in its baseline compiler and swaps in the
      // optimized code while it runs, which otherwise lands in the first plan's timings.
      for (let i = 0; i < runs; i++) session.run_input(input);
      const batch = 2;
      const times = [];
      for (let i = 0; i < runs / batch; i++) {
        const start = performance.now();
        for (let j = 0; j < batch; j++) session.run_input(input);
        times.push((performance.now() - start) / batch);
      }
      // The interquartile mean: unlike the median, a coarse clock's ticks average out of it.
      times.sort((a, b) => a - b);
      const middle = times.slice(Math.floor(times.length / 4), Math.ceil((3 * times.length) / 4));
      const mean = middle.reduce((sum, t) => sum + t, 0) / middle.length;
      return { mean, min: times[0], peak: plan.patched.peak.bytes, label };
    }, { settings, runs: RUNS });
    const after = native(flags);
    const nativeMs = (before.median_ms + after.median_ms) / 2;
    rows.push({ name, wasm, nativeMs, nativePeak: before.peak_bytes, spread: [before.median_ms, after.median_ms] });
  }
} finally {
  await browser.close();
  await server.close();
}

console.log(`VWW raw inference, wasm (simd128) in headless Chromium vs native (${RUNS} runs each); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}:`);
for (const r of rows) {
  console.log(`  ${r.name.padEnd(44)} wasm ${r.wasm.mean.toFixed(3).padStart(7)} ms (interquartile mean; min ${r.wasm.min.toFixed(3)})  native ${r.nativeMs.toFixed(3).padStart(7)} ms (mean of the medians before/after ${r.spread.map((x) => x.toFixed(3)).join('/')})  wasm/native ${(r.wasm.mean / r.nativeMs).toFixed(2)}x  peak ${r.wasm.peak} B (native ${r.nativePeak} B)  ${r.wasm.label}`);
}
