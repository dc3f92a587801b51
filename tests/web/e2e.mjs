// The page in a real browser (Debian's chromium through playwright-core), fed by Chromium's
// fake webcam playing clips made from real photos (`mcupatch fake-camera`).
// Run by `make test` after the wasm build; writes screenshots to screenshots/.
// `node tests/web/e2e.mjs NAME…` runs only the tests whose names contain one of the words.
import { chromium } from 'playwright-core';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../tools/serve.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'target/release/mcupatch');
const VWW = join(ROOT, 'models/visual_wake_words.tflite');
const CLIPS = mkdtempSync(join(tmpdir(), 'mcupatch-clips-'));
const SHOTS = join(ROOT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
// Messages the page must never show again: a conflict it should resolve, not refuse.
const REFUSED = [/--split needs --patch/, /is not auto or RxC/, /call configure first/, /before any op writes it/];

function clip(photo) {
  const out = join(CLIPS, photo.replace(/\..*/, '.y4m'));
  execFileSync(CLI, ['fake-camera', join(ROOT, 'data/images', photo), out, '--frames', '10']);
  return out;
}

/// `whileLoading(page)` runs as soon as the page's document exists, before its model loads.
async function open(server, args, { hash = '', viewport = { width: 1280, height: 720 }, whileLoading } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args],
  });
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask', buffered: true });
  });
  await page.goto(server.url + hash, { waitUntil: whileLoading ? 'commit' : 'load' });
  await whileLoading?.(page);
  await idle(page);
  return { browser, page, problems };
}

const camera = (file) => ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`];

/// Waits until the page has planned its last change (or refused it).
async function idle(page, timeout = 120000) {
  await page.waitForFunction(() => window.mcupatchIdle?.(), null, { timeout, polling: 50 });
}

async function verdict(page) {
  await page.waitForFunction(() => ['person', 'no person'].includes(document.getElementById('verdict').textContent), null, { timeout: 30000 });
  await page.waitForTimeout(1500); // a few more frames: the verdict must be stable, not a first guess
  return page.textContent('#verdict');
}

/// The page's last frame, exactly as the engine saw it, through the CLI: the same int8
/// output and label.
async function assertSameRunAsCli(page) {
  const [frame, settings] = await page.evaluate(() => [window.mcupatchLastFrame(), window.mcupatchFlags()]);
  const raw = join(CLIPS, 'frame.bin');
  writeFileSync(raw, Buffer.from(frame.input));
  // The CLI refuses a plan larger than the SRAM, which the page runs in a larger arena to
  // show it: run it with the default 256 KiB and compare all but the arena's size.
  const flags = settings.filter((f, i) => !['--sram', '--mcu'].includes(f) && !['--sram', '--mcu'].includes(settings[i - 1]));
  const cli = JSON.parse(execFileSync(CLI, ['run', VWW, '--input-raw', raw, '--json', ...flags], { maxBuffer: 1 << 28 }));
  const arena = { capacity: undefined, fits: undefined };
  const d = difference({ ...frame.run, ...arena }, { ...cli.runs[0], input: undefined, ...arena });
  assert.equal(d, null, `page vs mcupatch run --input-raw ${flags.join(' ')}: ${d}`);
}

/// The first path where two JSON documents differ, or null.
function difference(a, b, path = '$') {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (a === null || typeof a !== 'object') return a === b ? null : `${path}: ${a} vs ${b}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = difference(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/// The page's PlanReport for its current controls equals `mcupatch plan --json` with the
/// same settings as flags, field by field.
async function assertSamePlanAsCli(page, model = VWW) {
  const [report, flags] = await page.evaluate(() => [window.mcupatchPlan(), window.mcupatchFlags()]);
  // `plan` without --patch searches (auto); `inspect` without it is layer by layer.
  const command = flags.includes('--patch') ? 'plan' : 'inspect';
  const cli = JSON.parse(execFileSync(CLI, [command, model, '--json', ...flags], { maxBuffer: 1 << 28 }));
  const d = difference(report, cli);
  assert.equal(d, null, `page vs mcupatch ${command} ${flags.join(' ')}: ${d}`);
  return report;
}

/// Waits for the sweep and heat of the current plan.
async function explained(page) {
  await page.waitForFunction(() => window.mcupatchIdle() && window.mcupatchExplain(), null, { timeout: 120000, polling: 100 });
  return page.evaluate(() => window.mcupatchExplain());
}

/// The colour drawn at CSS position (x, y) of a canvas, as RGBA.
async function canvasPixel(page, selector, x, y) {
  return page.$eval(selector, (c, [x, y]) => {
    const ratio = c.width / c.getBoundingClientRect().width;
    return Array.from(c.getContext('2d').getImageData(Math.floor(x * ratio), Math.floor(y * ratio), 1, 1).data);
  }, [x, y]);
}

const hex = ([r, g, b]) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

async function banner(page) {
  return (await page.isVisible('#error-banner')) ? page.textContent('#error-banner') : '';
}

const tests = {
  async 'the astronaut on the webcam is a person, as the CLI says on the same bytes'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    assert.equal(await verdict(page), 'person');
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    await assertSameRunAsCli(page);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the page opens layer by layer on a 20 KiB custom MCU, which does not fit'(server) {
    const { browser, page, problems } = await open(server, []);
    const report = await page.evaluate(() => window.mcupatchPlan());
    assert.equal(report.schedule.stages.length, 0);
    assert.equal(report.board.sram, 20 * 1024);
    assert.equal(report.board.fits_sram, false);
    assert.match(await page.textContent('#fits'), /does not fit/);
    // The on-MCU estimate: layer by layer, VWW's MACs at the sourced rate are the source's
    // own 1 / 1.665 s; it is labelled an estimate.
    assert.match(await page.textContent('#mcu-estimate'), /^≈ 600\.6 ms per inference on a 120 MHz Cortex-M4 \(estimate: 7,489,664 MACs × 9\.62 cycles per MAC/);
    const mcus = await page.$$eval('#mcu-select option', (os) => os.map((o) => o.value));
    // The engine's presets, read from its source: the page lists them all and no other.
    const presets = [...readFileSync(join(ROOT, 'src/arena/mod.rs'), 'utf8').matchAll(/Mcu \{ name: "([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(mcus, [...presets, 'custom']);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the page\'s plan equals `mcupatch plan --json` field by field'(server) {
    const { browser, page, problems } = await open(server, []);
    await assertSamePlanAsCli(page);
    await page.check('#streamed');
    await page.check('#inplace-dw');
    await page.selectOption('#patch-select', '3x3');
    await idle(page);
    const threeByThree = await assertSamePlanAsCli(page);
    assert.equal(threeByThree.patched.peak.bytes, 18_432);
    // The recomputed MACs cost MCU time too: the estimate scales with the plan's MACs.
    const ms = Number(/^≈ ([\d.]+) ms/.exec(await page.textContent('#mcu-estimate'))[1]);
    assert.ok(Math.abs(ms - (600.6 * threeByThree.patched.macs) / threeByThree.layer_by_layer.macs) < 0.1, `${ms} ms`);
    assert.equal(Number(await page.textContent('#peak-bytes')), 18_432);
    await page.selectOption('#patch-select', 'auto');
    await idle(page);
    await assertSamePlanAsCli(page);
    const split = await page.$eval('#split-select', (s) => s.options[3].value);
    await page.selectOption('#split-select', split);
    await idle(page);
    await assertSamePlanAsCli(page);
    await page.check('#inplace-pw');
    await page.check('#inplace-add');
    await page.selectOption('#patch-select', '2x2');
    await idle(page);
    await assertSamePlanAsCli(page);
    await page.selectOption('#mcu-select', 'stm32f411');
    await page.selectOption('#split-select', '');
    await page.selectOption('#patch-select', 'auto');
    await page.check('#multi-stage');
    await page.check('#float-input'); // with streamed input: float regions streamed through its QUANTIZE
    await idle(page);
    await assertSamePlanAsCli(page);
    assert.equal(await banner(page), '');
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a float input streams through its QUANTIZE: a third of the frame-whole peak, the CLI\'s verdict'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    await page.check('#streamed');
    await page.check('#inplace-dw');
    await page.check('#float-input');
    const afterOp8 = await page.$$eval('#split-select option', (os) => os.find((o) => o.text.startsWith('after op 8:')).value);
    await page.selectOption('#split-select', afterOp8);
    await page.selectOption('#patch-select', '3x3');
    await idle(page);
    const report = await assertSamePlanAsCli(page);
    assert.deepEqual(report.notes, []);
    assert.equal(report.input.dtype, 'float32');
    // Each patch's float32 region (4 bytes a value), never the 96×96×3 float frame: the
    // peak is under a third of the 138 240 B that holding the frame whole for its QUANTIZE took.
    const peak = Number(await page.textContent('#peak-bytes'));
    assert.equal(peak, report.patched.peak.bytes);
    assert.ok(peak < 138_240 / 3, `${peak} B`);
    assert.equal(peak, 43_628, 'as tests/session.rs and the CLI say');
    assert.ok(report.patched.buffers.every((b) => b.kind !== 'input'));
    const tiles = report.patched.buffers.filter((b) => b.kind === 'input-tile');
    assert.equal(tiles.length, 9);
    for (const t of tiles) assert.equal(t.bytes, t.shape.reduce((a, b) => a * b) * 4, JSON.stringify(t));
    assert.equal(await verdict(page), 'person');
    await assertSameRunAsCli(page);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'every combination of the controls gives a plan or names the conflict'(server) {
    const { browser, page, problems } = await open(server, []);
    const splits = await page.$$eval('#split-select option', (os) => os.map((o) => o.value));
    const switches = ['streamed_input', 'in_place_depthwise', 'in_place_pointwise', 'in_place_add', 'multi_stage', 'float_input'];
    const outcomes = { planned: 0, refused: 0 };
    const tryOne = async (settings) => {
      await page.evaluate((s) => window.mcupatchSet(s), settings);
      await idle(page);
      const [message, report] = await Promise.all([banner(page), page.evaluate(() => ({ settings: window.mcupatchPlan().settings }))]);
      const what = JSON.stringify(settings);
      for (const bad of REFUSED) assert.doesNotMatch(message, bad, what);
      if (message) {
        assert.match(message, /^Cannot plan: .{12,}/, what);
        outcomes.refused++;
      } else {
        assert.deepEqual({ ...report.settings, pixel_range: undefined }, { ...report.settings, ...settings, pixel_range: undefined }, what);
        outcomes.planned++;
      }
    };
    // Every split × every grid it offers (and layer by layer, auto), switches as a student
    // would leave them; then every combination of the switches at three patch choices.
    for (const split of splits) {
      await page.evaluate((s) => window.mcupatchSet({ split: s ? [s] : [], patch: [] }), split);
      await idle(page);
      const patches = await page.$$eval('#patch-select option', (os) => os.map((o) => o.value));
      for (const patch of patches) {
        await tryOne({ split: split ? [split] : [], patch: patch ? [patch] : [], streamed_input: true, in_place_depthwise: true });
      }
    }
    // The planner's own search (auto without a split) takes seconds in wasm: it gets the
    // switch sets a student reaches first; the quick plans get all 64.
    const searched = new Set([0, 0b000011, 0b001100, 0b010000, 0b010011, 0b100000]);
    for (let bits = 0; bits < 1 << switches.length; bits++) {
      for (const [patch, split] of [['', splits[1]], ['auto', ''], ['3x3', splits[2]]]) {
        if (patch === 'auto' && !searched.has(bits)) continue;
        const settings = { patch: patch ? [patch] : [], split: split ? [split] : [] };
        switches.forEach((s, i) => { settings[s] = Boolean(bits & (1 << i)); });
        await tryOne(settings);
      }
    }
    console.log(`    sweep: ${outcomes.planned} plans, ${outcomes.refused} refusals with a reason`);
    assert.ok(outcomes.planned > 100);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a link with settings in its hash reproduces the plan and the peak after reload'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.selectOption('#mcu-select', 'stm32f411');
    const split = await page.$eval('#split-select', (s) => s.options[4].value);
    await page.selectOption('#split-select', split);
    await page.selectOption('#patch-select', '2x2');
    await page.check('#inplace-pw');
    await page.check('#streamed');
    await idle(page);
    const before = await page.evaluate(() => window.mcupatchPlan());
    const url = page.url();
    assert.match(url, /#model=vww&mcu=stm32f411&patch=2x2&split=t\d+/);
    const second = await browser.newPage();
    await second.goto(url);
    await idle(second);
    const after = await second.evaluate(() => window.mcupatchPlan());
    assert.equal(difference(after, before), null);
    assert.equal(await second.textContent('#peak-bytes'), String(before.patched.peak.bytes));
    assert.equal(await second.$eval('#patch-select', (s) => s.value), '2x2');
    await page.reload();
    await idle(page);
    assert.equal(difference(await page.evaluate(() => window.mcupatchPlan()), before), null);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'planning runs off the main thread: no long task, the camera keeps going'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    await verdict(page);
    const long = [];
    const planned = async (what, act) => {
      const frames = await page.evaluate(() => { window.longTasks.length = 0; return window.mcupatchFramesShown(); });
      await act();
      await page.waitForFunction(() => !window.mcupatchIdle(), null, { timeout: 5000 }).catch(() => {});
      await idle(page, 300000);
      const [longTasks, framesAfter, ms, mainMs] = await page.evaluate(() => [window.longTasks, window.mcupatchFramesShown(), window.mcupatchPlanMs(), window.mcupatchMainMs()]);
      const worst = Math.max(...mainMs).toFixed(1);
      console.log(`    ${what}: planned in ${ms.toFixed(0)} ms in the worker, ${framesAfter - frames} frames shown meanwhile, worst animation frame ${worst} ms, long tasks ${JSON.stringify(longTasks.map(Math.round))}`);
      // Long tasks measure wall time and this machine is shared: the numbers go to the
      // benchmark (benches/page.mjs); here, no task may be as long as the plan, which one
      // would be if the plan ran on the main thread.
      if (ms > 200) long.push(...longTasks.filter((d) => d >= ms).map((d) => `${what}: ${Math.round(d)} ms`));
      return { frames: framesAfter - frames, ms };
    };
    const auto = await planned('VWW auto', () => page.selectOption('#patch-select', 'auto'));
    const multi = await planned('VWW two stages', () => page.check('#multi-stage'));
    // A plan of more than half a second, and the camera answered meanwhile.
    for (const p of [auto, multi]) if (p.ms > 500) assert.ok(p.frames > 0, 'no frame shown while planning');
    await planned('MobileNetV2 loaded', () => page.selectOption('#model-select', 'mbv2'));
    await planned('MobileNetV2 auto', async () => {
      await page.selectOption('#split-select', '');
      await page.selectOption('#patch-select', 'auto');
    });
    assert.deepEqual(long, [], 'long tasks on the main thread');
    assert.equal(await banner(page), '');
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a multi-stage plan draws every stage\'s grid on the camera image, later ones dashed; the heat tints it'(server) {
    // A black clip (limited-range Y = 16): every white pixel on the camera view is drawing.
    const black = join(CLIPS, 'black.y4m');
    const frame = Buffer.concat([Buffer.alloc(64 * 64, 16), Buffer.alloc(64 * 32, 128)]);
    writeFileSync(black, Buffer.concat([Buffer.from('YUV4MPEG2 W64 H64 F30:1 Ip A1:1 C420jpeg\n'), ...Array(5).fill([Buffer.from('FRAME\n'), frame]).flat()]));
    const { browser, page, problems } = await open(server, camera(black), { hash: '#model=vww&sram=13600&patch=auto&multi-stage&streamed-input&in-place-depthwise&in-place-pointwise&in-place-add' });
    await verdict(page);
    const plan = await page.evaluate(() => window.mcupatchPlan());
    assert.ok(plan.schedule.stages.length >= 2, 'several stages');
    await page.keyboard.press(' ');
    // Pixels of a grey level (± 12) on the camera view, in CSS pixels.
    const greyPixels = (lo, hi = 255) => page.$eval('#input-canvas', (c, [lo, hi]) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const at = [];
      for (let i = 0; i < d.length; i += 4) {
        const grey = Math.abs(d[i] - d[i + 1]) < 12 && Math.abs(d[i + 1] - d[i + 2]) < 12;
        if (grey && d[i] >= lo && d[i] <= hi) at.push([(i / 4) % c.width, Math.floor(i / 4 / c.width)].map((v) => v / (c.width / c.getBoundingClientRect().width)));
      }
      return at;
    }, [lo, hi]);
    const whitePixels = () => greyPixels(240);
    // Steps forward until the current step is in `stage` (0 or 1).
    const stepInto = async (stage) => {
      for (let i = 0; i <= plan.patched.steps.length; i++) {
        const n = Number(/^step (\d+)/.exec(await page.textContent('#step-counter'))[1]) - 1;
        if (plan.patched.steps[n].patch?.stage === stage) return plan.patched.steps[n];
        await page.keyboard.press('ArrowRight');
      }
      throw new Error(`no step in stage ${stage}`);
    };
    await stepInto(0);
    await page.waitForTimeout(200);
    // A first-stage step: its faint grid (white at 35 %, grey where it crosses pixels) and no
    // white (the first stage's current patch is green and orange, the second stage green).
    assert.ok((await greyPixels(20, 200)).length > 300, 'the first stage\'s grid');
    assert.deepEqual(await whitePixels(), []);
    // Step into the second stage: its current tile is outlined in white, on its own edges.
    const step = await stepInto(1);
    await page.waitForTimeout(200);
    const tile = plan.patches.find((p) => p.stage === 1 && p.index === step.patch.index).tile;
    const k = 320 / plan.schedule.stages[1].split.shape[1];
    const white = await whitePixels();
    assert.ok(white.length > 20, `${white.length} white pixels`);
    const onEdge = ([x, y]) => [tile.x0, tile.x1].some((e) => Math.abs(x - e * k) <= 2) || [tile.y0, tile.y1].some((e) => Math.abs(y - e * k) <= 2);
    assert.deepEqual(white.filter((p) => !onEdge(p)), [], 'white only on the current second-stage tile');
    await page.locator('section.camera .view').screenshot({ path: join(SHOTS, 'two-stages.png') });
    // The heat tint over the (black) picture: a pixel read by the most patches is tinted,
    // one read once is not.
    const { heat } = await explained(page);
    const input = heat.inputs[0];
    await page.check('#heat-overlay');
    await page.waitForTimeout(300);
    const inside = (count) => input.counts.findIndex((c, i) => c === count && [1, -1, input.width, -input.width].every((d) => input.counts[i + d] === count));
    const centre = (i) => [((i % input.width) + 0.5) * (320 / input.width), (Math.floor(i / input.width) + 0.5) * (320 / input.height)];
    const [most, once] = [inside(input.max), inside(1)];
    assert.ok(input.max > 1 && most >= 0 && once >= 0);
    const [tinted, clear] = [await canvasPixel(page, '#input-canvas', ...centre(most)), await canvasPixel(page, '#input-canvas', ...centre(once))];
    // Tinted yellow (red well above blue); read once stays grey (black, or under the second
    // stage's white halo).
    assert.ok(tinted[0] - tinted[2] > 60, `read ${input.max}×: ${tinted}`);
    assert.ok(Math.abs(clear[0] - clear[2]) < 12, `read once: ${clear}`);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a newer settings change supersedes a search in flight'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.selectOption('#patch-select', 'auto');
    await page.check('#multi-stage');
    await page.selectOption('#patch-select', '3x3'); // before the two-stage search is done
    await idle(page);
    const report = await page.evaluate(() => window.mcupatchPlan());
    assert.deepEqual(report.settings.patch, ['3x3']);
    assert.equal(report.schedule.stages[0].rows, 3);
    assert.equal(await page.isVisible('#busy'), false);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the coffee cup on the webcam is no person'(server) {
    const { browser, page, problems } = await open(server, camera(clip('coffee.png')));
    assert.equal(await verdict(page), 'no person');
    await assertSameRunAsCli(page);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'keys pressed while the model loads do no harm, and Space then pauses'(server) {
    // A student presses keys while the page is still loading: the handlers are bound before
    // any model is there.
    let pressed = 0;
    const { browser, page, problems } = await open(server, [], {
      whileLoading: async (page) => {
        while (!(await page.evaluate(() => Boolean(window.mcupatchIdle?.())))) {
          for (const key of [' ', 'ArrowRight', 'ArrowLeft']) await page.keyboard.press(key);
          pressed++;
        }
      },
    });
    assert.ok(pressed > 0, 'keys pressed before the model loaded');
    await page.keyboard.press(' ');
    const playing = (await page.textContent('#play')) === 'Pause';
    assert.equal((await page.textContent('#fps')) === 'paused', !playing, 'the fps readout follows Space at once');
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'step mode and the keyboard walk through every patch of the grid'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    await verdict(page);
    await page.keyboard.press(' ');
    assert.equal(await page.textContent('#fps'), 'paused');
    const seen = new Set();
    let total = 0;
    for (let i = 0; i < 200 && (total === 0 || seen.size < total); i++) {
      await page.keyboard.press('ArrowRight');
      const m = /^patch (\d+) \/ (\d+)/.exec(await page.textContent('#patch-counter'));
      if (m) {
        seen.add(Number(m[1]));
        total = Number(m[2]);
      }
      if (i === 12) await page.screenshot({ path: join(SHOTS, 'step-mode.png') });
    }
    assert.equal(total, 9, 'a 3×3 grid');
    assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const step = await page.textContent('#step-counter');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((before) => document.getElementById('step-counter').textContent !== before, step);
    await page.keyboard.press(']');
    await idle(page);
    assert.deepEqual((await page.evaluate(() => window.mcupatchPlan())).settings.patch, ['4x4']);
    await page.keyboard.press('[');
    await page.keyboard.press('[');
    await idle(page);
    assert.deepEqual((await page.evaluate(() => window.mcupatchPlan())).settings.patch, ['2x2']);
    await page.locator('section.arena').screenshot({ path: join(SHOTS, 'arena.png') });
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the preview is decoded with the input\'s quantization'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    await verdict(page);
    // The network's input, decoded as the page does, against the photo's own pixels
    // quantized and decoded by the CLI's rules: the preview's centre pixel is not black.
    const centre = await page.evaluate(() => {
      const c = document.getElementById('input-canvas');
      const [x, y] = [Math.floor(c.width / 2), Math.floor(c.height / 2)];
      return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data);
    });
    assert.ok(centre[0] + centre[1] + centre[2] > 60, `centre ${centre}`);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'without a camera the page says so and classifies the sample photos'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.waitForSelector('#camera-message:not([hidden])');
    assert.match(await page.textContent('#camera-message'), /No camera/);
    assert.equal(await verdict(page), 'person'); // the first sample is the astronaut
    await page.click('#samples button:has-text("coffee")');
    await page.waitForFunction(() => document.getElementById('verdict').textContent === 'no person', null, { timeout: 10000 });
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'camera permission denied: a message, the samples, and a way back'(server) {
    const file = clip('astronaut.png');
    const { browser, page, problems } = await open(server, ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`, '--deny-permission-prompts']);
    await page.waitForSelector('#camera-message:not([hidden])');
    assert.match(await page.textContent('#camera-message'), /permission was denied/);
    assert.equal(await page.isVisible('#camera-retry'), true);
    assert.equal(await verdict(page), 'person'); // the astronaut sample
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the camera stopping mid-stream falls back to the samples; retry brings it back'(server) {
    const { browser, page, problems } = await open(server, camera(clip('coffee.png')));
    assert.equal(await verdict(page), 'no person');
    await page.evaluate(() => document.getElementById('video').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended')));
    await page.waitForSelector('#camera-message:not([hidden])');
    assert.match(await page.textContent('#camera-message'), /camera stopped/);
    await page.waitForFunction(() => document.getElementById('verdict').textContent === 'person', null, { timeout: 15000 });
    await page.click('#camera-retry');
    await page.waitForFunction(() => document.getElementById('verdict').textContent === 'no person', null, { timeout: 15000 });
    assert.equal(await page.isVisible('#camera-message'), false);
    // A background tab: the page says how long it was away when it comes back.
    await page.evaluate(() => {
      const set = (v) => Object.defineProperty(document, 'visibilityState', { value: v, configurable: true });
      set('hidden');
      document.dispatchEvent(new Event('visibilitychange'));
      set('visible');
      document.dispatchEvent(new Event('visibilitychange'));
    });
    assert.match(await page.textContent('#camera-message'), /Back after \d+ s in the background/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a clip of a photo keeps its levels: the same verdict and the same pixels as the photo'(server) {
    for (const photo of ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png', 'rocket.jpg']) {
      const { browser, page, problems } = await open(server, camera(clip(photo)));
      const seen = await verdict(page);
      const [frame, plan] = await page.evaluate(() => [window.mcupatchLastFrame(), window.mcupatchPlan()]);
      // The photo itself through the CLI: its label and the input tensor it fills.
      const dump = mkdtempSync(join(CLIPS, 'dump-'));
      const cli = JSON.parse(execFileSync(CLI, ['run', VWW, join(ROOT, 'data/images', photo), '--json', '--dump', dump], { maxBuffer: 1 << 28 }));
      const want = new Int8Array(readFileSync(join(dump, `t${plan.input.index}.bin`)));
      const got = Int8Array.from(frame.input);
      assert.equal(got.length, want.length);
      let [bias, error] = [0, 0];
      for (let i = 0; i < got.length; i++) {
        bias += got[i] - want[i];
        error += Math.abs(got[i] - want[i]);
      }
      [bias, error] = [bias / got.length, error / got.length];
      console.log(`    ${photo}: clip ${seen}, photo ${cli.runs[0].label}; clip − photo per pixel: mean ${bias.toFixed(2)}, mean |·| ${error.toFixed(2)}`);
      assert.equal(seen, cli.runs[0].label, photo);
      // A clip's YUV read back at other levels (crushed blacks) shifts every dark pixel.
      assert.ok(Math.abs(bias) < 1 && error < 3, `${photo}: the clip's pixels differ from the photo's by ${bias.toFixed(2)} on average`);
      assert.deepEqual(problems, []);
      await browser.close();
    }
  },

  async 'tiny, huge and portrait camera frames are classified and described'(server) {
    for (const [size, expect] of [['16x12', /smaller than the network's 96×96 input/], ['2560x1440', /^frame 2560×1440$/], ['480x640', /portrait/]]) {
      const out = join(CLIPS, `astronaut-${size}.y4m`);
      execFileSync(CLI, ['fake-camera', join(ROOT, 'data/images/astronaut.png'), out, '--frames', '2', '--size', size]);
      const { browser, page, problems } = await open(server, camera(out));
      assert.ok(['person', 'no person'].includes(await verdict(page)));
      assert.match(await page.textContent('#frame-info'), expect);
      if (size === '480x640') await page.screenshot({ path: join(SHOTS, 'portrait-camera.png') });
      assert.deepEqual(problems, []);
      await browser.close();
    }
  },

  async 'a dropped photo, even a huge one, is told from a model by its bytes and classified'(server) {
    const { browser, page, problems } = await open(server, camera(clip('coffee.png')));
    assert.equal(await verdict(page), 'no person');
    // The astronaut drawn onto a 4096×3072 canvas, dropped on the page as a PNG file.
    await page.evaluate(async () => {
      const img = new Image();
      img.src = 'assets/astronaut.png';
      await img.decode();
      const canvas = new OffscreenCanvas(4096, 3072);
      canvas.getContext('2d').drawImage(img, 512, 0, 3072, 3072);
      const file = new File([await canvas.convertToBlob({ type: 'image/png' })], 'huge.bin');
      const drop = new DragEvent('drop', { dataTransfer: new DataTransfer(), bubbles: true, cancelable: true });
      drop.dataTransfer.items.add(file);
      document.body.dispatchEvent(drop);
    });
    await page.waitForFunction(() => document.getElementById('verdict').textContent === 'person', null, { timeout: 20000 });
    assert.match(await page.textContent('#frame-info'), /^frame 4096×3072$/);
    assert.match(await page.textContent('#camera-message'), /your photo huge\.bin/);
    assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the page fits a phone, a laptop and a projector (screenshots/page-WxH.png)'(server) {
    const file = clip('astronaut.png');
    for (const [width, height, ratio] of [[390, 844, 3], [1366, 900, 1], [1920, 1080, 1]]) {
      const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', ...camera(file)] });
      const page = await browser.newPage({ viewport: { width, height }, deviceScaleFactor: ratio });
      await page.goto(`${server.url}#model=vww&patch=3x3&streamed-input&in-place-depthwise`);
      await verdict(page);
      await page.keyboard.press(' ');
      for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(SHOTS, `page-${width}x${height}.png`), fullPage: true });
      const wider = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.id || e.tagName));
      assert.deepEqual(wider, [], `${width}×${height}: wider than the screen`);
      // Canvases are drawn at the display's pixel ratio: sharp on a phone and a projector.
      const canvas = await page.$eval('#arena-canvas', (c) => [c.width, c.getBoundingClientRect().width]);
      assert.ok(Math.abs(canvas[0] - canvas[1] * ratio) <= 1, `arena canvas ${canvas}`);
      await browser.close();
    }
  },

  async 'the guided tour plans each step and its link reopens the same step'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.click('#tour-button');
    assert.equal(await page.textContent('#tour-title'), 'What the network sees');
    await page.click('#tour-next');
    await page.click('#tour-next');
    await idle(page);
    assert.equal(await page.textContent('#tour-count'), '3 / 7');
    const report = await page.evaluate(() => window.mcupatchPlan());
    assert.deepEqual(report.settings.patch, ['3x3']);
    assert.equal(report.board.fits_sram, true);
    assert.match(page.url(), /tour=3/);
    const second = await browser.newPage();
    await second.goto(page.url());
    await idle(second);
    assert.equal(await second.textContent('#tour-title'), 'Patches');
    assert.equal(difference(await second.evaluate(() => window.mcupatchPlan()), report), null);
    // The last step breaks the halos: the switch is on and the panel shows the damage.
    for (let i = 0; i < 4; i++) await page.click('#tour-next');
    await idle(page);
    assert.equal(await page.textContent('#tour-title'), 'Break it');
    assert.equal(await page.isChecked('#break-it'), true);
    await page.waitForFunction(() => /bytes of the split tensor differ/.test(document.getElementById('break-bytes').textContent), null, { timeout: 30000 });
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the grid sweep charts every grid and every split; the current one is marked, a click plans another'(server) {
    const { browser, page, problems } = await open(server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    const { sweep } = await explained(page);
    const plan = await page.evaluate(() => window.mcupatchPlan());
    assert.equal(sweep.split, plan.schedule.stages[0].split.index);
    // Each bar's centre, at a height clear of the recompute line and the SRAM line drawn over it.
    const bars = await page.$eval('#sweep-grids', (c, sram) => c.bars.items.map((i, k) => {
      const over = [c.bars.yPct(i.c.overhead * 100), c.bars.y(sram)];
      const y = [0.5, 0.25, 0.75, 0.1].map((f) => c.bars.y(i.c.peak_bytes * f)).find((v) => over.every((o) => Math.abs(v - o) > 6));
      return { label: i.label, current: i.current, peak: i.c.peak_bytes, inStage: Boolean(i.c.peak_patch), x: c.bars.x(k), y };
    }), 20 * 1024);
    // Every square grid the engine planned at this split, each bar the engine's peak.
    const squares = sweep.grids.filter((c) => c.schedule.stages[0].rows === c.schedule.stages[0].cols);
    assert.deepEqual(bars.map((b) => b.peak), squares.map((c) => c.peak_bytes));
    assert.deepEqual(bars.filter((b) => b.current).map((b) => b.label), ['3×3']);
    assert.equal(bars.find((b) => b.current).peak, plan.patched.peak.bytes);
    // What is drawn: each bar's colour says where its peak falls (orange inside the stage,
    // blue after the split); the words name the grid from which finer ones stop helping.
    const colours = await page.evaluate(() => ['--tile', '--activation'].map((v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim()));
    for (const b of bars) {
      const pixel = await canvasPixel(page, '#sweep-grids', b.x, b.y);
      assert.equal(hex(pixel), b.inStage ? colours[0] : colours[1], `bar ${b.label}`);
    }
    const words = await page.textContent('#sweep-explain');
    const after = squares.find((c) => !c.peak_patch);
    assert.ok(after, 'at 20 KiB a fine grid puts the peak after the split');
    assert.match(words, new RegExp(`From ${after.schedule.stages[0].rows}×${after.schedule.stages[0].rows} on the peak sits at op ${after.peak_op} `));
    // Every split at this grid: the current split marked.
    const splitBars = await page.$eval('#sweep-splits', (c) => c.bars.items.filter((i) => i.current).map((i) => i.c.schedule.stages[0].split.index));
    assert.deepEqual(splitBars, [sweep.split]);
    // A click on the 5×5 bar plans 5×5 at the same split.
    const five = bars.find((b) => b.label === '5×5');
    await page.click('#sweep-grids', { position: { x: five.x, y: five.y } });
    await idle(page);
    const replanned = await page.evaluate(() => window.mcupatchPlan());
    assert.deepEqual([replanned.schedule.stages[0].rows, replanned.schedule.stages[0].cols], [5, 5]);
    assert.equal(replanned.schedule.stages[0].split.index, sweep.split);
    await page.locator('section.why').screenshot({ path: join(SHOTS, 'why.png') });
    // Layer by layer has nothing to sweep, and says so.
    await page.selectOption('#patch-select', '');
    await idle(page);
    assert.match(await page.textContent('#sweep-explain'), /Choose a grid/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the recompute heat sums to the plan\'s extra MACs shown on the page'(server) {
    const { browser, page, problems } = await open(server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    const { heat } = await explained(page);
    const plan = await page.evaluate(() => window.mcupatchPlan());
    // The counts themselves, summed here: Σ count × MACs per pixel, less each map computed once.
    const sum = heat.layers.reduce((s, l) => s + l.counts.reduce((a, c) => a + c, 0) * l.macs_per_pixel, 0);
    const once = heat.layers.reduce((s, l) => s + l.height * l.width * l.macs_per_pixel, 0);
    const extra = plan.patched.macs - plan.layer_by_layer.macs;
    assert.ok(extra > 0);
    assert.equal(sum - once, extra);
    const words = await page.textContent('#heat-sum');
    assert.match(words, new RegExp(`= ${extra.toLocaleString('en')} MACs `));
    // The same percentage as the plan's "recomputed" figure.
    const pct = /= \+([\d.]+) %/.exec(words)[1];
    assert.equal(await page.textContent('#overhead'), `+${pct} %`);
    // What is drawn: the input map's pixels read once are dark, the most-read bright.
    const layout = await page.$eval('#heat-canvas', (c) => c.layout);
    const input = heat.inputs[0];
    const map = layout.maps.find((m) => m.input);
    const at = (i) => [map.x0 + ((i % input.width) + 0.5) * layout.scale, map.top + (Math.floor(i / input.width) + 0.5) * layout.scale];
    // Pixels inside a run of equal counts (their neighbours alike), clear of any edge.
    const inside = (count) => input.counts.findIndex((c, i) => c === count && [1, -1, input.width, -input.width].every((d) => input.counts[i + d] === count));
    const [once1, most] = [inside(1), inside(input.max)];
    assert.ok(input.max > 1 && once1 >= 0);
    const [dark, bright] = [await canvasPixel(page, '#heat-canvas', ...at(once1)), await canvasPixel(page, '#heat-canvas', ...at(most))];
    assert.ok(bright[0] + bright[1] > dark[0] + dark[1] + 100, `read once ${dark}, ${input.max}× ${bright}`);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the exactness badge: patches equal layer by layer, byte for byte, on the live camera'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    await verdict(page);
    await page.waitForFunction(() => /on each of [2-9]\d* frames/.test(document.getElementById('exact-detail').textContent), null, { timeout: 30000 });
    assert.equal(await page.textContent('#exact-badge'), '✓ patches = layer by layer, byte for byte');
    assert.match(await page.getAttribute('#exact-badge', 'class'), /good/);
    const detail = await page.textContent('#exact-detail');
    const [, tensors, compared] = /^(\d+) tensors, ([\d,]+) B compared/.exec(detail);
    assert.ok(Number(tensors) > 1 && Number(compared.replace(/,/g, '')) > 96 * 96 * 3, detail);
    await page.selectOption('#patch-select', '');
    await idle(page);
    assert.match(await page.textContent('#exact-badge'), /layer by layer: nothing to compare/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'break it: without halos the split tensor differs from layer by layer, with them it matches'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    assert.equal(await verdict(page), 'person');
    await page.check('#break-it');
    await page.waitForFunction(() => /of the last [3-9]\d* frames/.test(document.getElementById('break-flips').textContent), null, { timeout: 30000 });
    const [broken, frame] = await page.evaluate(() => [window.mcupatchBroken(), window.mcupatchLastFrame()]);
    const plan = await page.evaluate(() => window.mcupatchPlan());
    assert.equal(broken.split.index, plan.schedule.stages[0].split.index);
    assert.ok(broken.differing_bytes > 0 && broken.differing_pixels > 0);
    // Layer by layer inside the break report is the right answer: the page's own run's.
    assert.deepEqual(broken.layer_by_layer.outputs, frame.run.outputs);
    assert.match(await page.textContent('#break-bytes'), new RegExp(`^${broken.differing_bytes.toLocaleString('en')} of ${broken.split.bytes.toLocaleString('en')} bytes of the split tensor differ`));
    assert.match(await page.textContent('#break-outputs'), new RegExp(`without halos: \\[${broken.halos_blanked.outputs[0].int8.join(', ')}\\]`));
    assert.match(await page.textContent('#break-flips'), /^verdict wrong on \d+ of the last \d+ frames$/);
    // The difference map shows red where the split tensor differs.
    const [, h, w] = broken.split.shape;
    const wrong = broken.differing_channels.findIndex((n) => n > 0);
    const right = broken.differing_channels.findIndex((n) => n === 0);
    const cell = await page.$eval('#diff-canvas', (c) => c.getBoundingClientRect().width);
    const at = (i) => [((i % w) + 0.5) * (cell / Math.max(h, w)) + 0.3, (Math.floor(i / w) + 0.5) * (cell / Math.max(h, w)) + 0.3];
    const [red, green] = [await canvasPixel(page, '#diff-canvas', ...at(wrong)), await canvasPixel(page, '#diff-canvas', ...at(right))];
    assert.ok(red[0] > 100 && red[1] < 60, `a differing pixel is drawn ${red}`);
    assert.ok(green[0] < 60, `an equal pixel is drawn ${green}`);
    // Meanwhile the real schedule still equals layer by layer.
    await page.waitForFunction(() => /on each of [1-9]\d* frames/.test(document.getElementById('exact-detail').textContent), null, { timeout: 30000 });
    assert.equal(await page.textContent('#exact-badge'), '✓ patches = layer by layer, byte for byte');
    await page.locator('section.camera').screenshot({ path: join(SHOTS, 'break-it.png') });
    // Layer by layer has no halos to break: the switch says so.
    await page.selectOption('#patch-select', '');
    await idle(page);
    assert.equal(await page.isDisabled('#break-it'), true);
    assert.match(await page.textContent('#break-bytes'), /needs a patch plan/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the feasibility map: which MobileNetV2 sizes fit the MCU, and a click loads one'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.waitForFunction(() => window.mcupatchMap(), null, { timeout: 120000 });
    const map = await page.evaluate(() => window.mcupatchMap());
    assert.equal(await page.$eval('#map-mcu', (s) => s.value), 'stm32h743');
    const cells = await page.$$eval('#feasibility .cell', (bs) => bs.map((b) => b.dataset.fit));
    assert.equal(cells.length, map.cells.length);
    assert.deepEqual(cells, map.cells.map((c) => (c.fits_layer_by_layer ? 'lbl' : c.fits_patched ? 'patch' : 'none')));
    assert.ok(cells.includes('lbl') && cells.includes('patch'), `${cells}`);
    // A size that fits only with patches, loaded: the page plans it on that MCU, and it fits.
    const index = cells.indexOf('patch');
    const { width, resolution } = map.cells[index];
    await page.locator('#feasibility .cell').nth(index).click();
    await idle(page);
    const plan = await page.evaluate(() => window.mcupatchPlan());
    assert.equal(await page.$eval('#model-select', (s) => s.value), `mbv2@${width}x${resolution}`);
    assert.deepEqual([plan.board.mcu.name, plan.board.fits_sram], ['stm32h743', true]);
    assert.ok(plan.schedule.stages.length > 0 && plan.layer_by_layer.peak.bytes > plan.board.sram);
    assert.deepEqual(plan.input.shape, [1, resolution, resolution, 3]);
    assert.match(page.url(), new RegExp(`model=mbv2%40${width}x${resolution}`));
    // A 1 MB Flash board fits no size: the map says why instead of showing nothing.
    await page.selectOption('#map-mcu', 'stm32f412');
    await page.waitForFunction(() => window.mcupatchMap()?.flash === 1024 * 1024, null, { timeout: 120000 });
    assert.deepEqual(new Set(await page.$$eval('#feasibility .cell', (bs) => bs.map((b) => b.textContent.slice(0, 5)))), new Set(['Flash']));
    assert.match(await page.textContent('#map-explain'), /exceed this board's 1024 KiB of Flash/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'both arenas share one address scale: the same bytes at the same height, the peaks in the plan\'s ratio'(server) {
    const { browser, page, problems } = await open(server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    const plan = await page.evaluate(() => window.mcupatchPlan());
    await page.waitForTimeout(300);
    // Per canvas, read from its pixels: the row of the red SRAM line and of the yellow dashed
    // peak line (each the mean of the rows holding most of its colour), and the zero of its
    // address axis (where its hover scale reads 0 B).
    const lines = (selector) => page.$eval(selector, (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const row = (is) => {
        const counts = [];
        for (let y = 0; y < c.height; y++) {
          let n = 0;
          for (let x = 0; x < c.width; x++) if (is(d[(y * c.width + x) * 4], d[(y * c.width + x) * 4 + 1], d[(y * c.width + x) * 4 + 2])) n++;
          counts.push(n);
        }
        const most = Math.max(...counts);
        const rows = counts.map((n, y) => [n, y]).filter(([n]) => n >= most / 2);
        return rows.reduce((s, [n, y]) => s + n * (y + 0.5), 0) / rows.reduce((s, [n]) => s + n, 0);
      };
      const red = row((r, g, b) => r > 90 && r > 2.1 * g && r > 2.1 * b);
      const yellow = row((r, g, b) => r > 120 && g > 0.75 * r && b < 0.6 * r);
      const zero = c.hit.byte(0) / (c.hit.byte(0) - c.hit.byte(1));
      return { red, yellow, zero, height: c.height, bytesPerPixel: c.hit.byte(0) - c.hit.byte(1) };
    });
    const [lbl, patched] = [await lines('#lbl-canvas'), await lines('#arena-canvas')];
    const [lblPeak, patchedPeak] = [plan.layer_by_layer.peak.bytes, plan.patched.peak.bytes];
    console.log(`    peaks ${lblPeak} B and ${patchedPeak} B, SRAM ${plan.board.sram} B; layer by layer ${JSON.stringify(lbl)}; patches ${JSON.stringify(patched)}`);
    assert.ok(lblPeak > 2 * patchedPeak);
    // One scale: the same bytes per pixel, the same zero, the SRAM's red line on the same row.
    assert.equal(lbl.height, patched.height);
    assert.ok(Math.abs(lbl.bytesPerPixel - patched.bytesPerPixel) < 1e-6, 'bytes per pixel');
    assert.ok(Math.abs(lbl.zero - patched.zero) < 0.01, 'the zero of the axis');
    assert.ok(Math.abs(lbl.red - patched.red) <= 1, `SRAM line at ${lbl.red} and ${patched.red}`);
    // The drawn peaks stand in the ratio of the plan's peaks, each at its bytes on that scale.
    const [lblHeight, patchedHeight] = [lbl.zero - lbl.yellow, patched.zero - patched.yellow];
    const ratio = lblHeight / patchedHeight;
    console.log(`    drawn peak heights ${lblHeight.toFixed(1)} px and ${patchedHeight.toFixed(1)} px: ratio ${ratio.toFixed(3)}, the plan's ${(lblPeak / patchedPeak).toFixed(3)}`);
    assert.ok(Math.abs(ratio - lblPeak / patchedPeak) < 0.05 * (lblPeak / patchedPeak), `ratio ${ratio}`);
    for (const [height, bytes] of [[lblHeight, lblPeak], [patchedHeight, patchedPeak], [lbl.zero - lbl.red, plan.board.sram]]) {
      assert.ok(Math.abs(height - bytes / lbl.bytesPerPixel) <= 1.5, `${bytes} B drawn ${height.toFixed(1)} px high`);
    }
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the halo pyramid draws the current patch\'s regions of the plan, read back from its pixels'(server) {
    const { browser, page, problems } = await open(server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
    const plan = await page.evaluate(() => window.mcupatchPlan());
    await page.keyboard.press(' ');
    // The middle patch (index 4 of 3×3): its halo stops short of every edge.
    let step;
    for (let i = 0; i <= plan.patched.steps.length; i++) {
      const n = Number(/^step (\d+)/.exec(await page.textContent('#step-counter'))[1]) - 1;
      step = plan.patched.steps[n];
      if (step.patch?.stage === 0 && step.patch.index === 4) break;
      await page.keyboard.press('ArrowRight');
    }
    assert.equal(step.patch.index, 4);
    await page.waitForTimeout(300);
    const want = [
      { label: 'input', region: plan.patches.find((p) => p.stage === 0 && p.index === 4).input },
      ...plan.patched.steps.filter((s) => s.patch?.stage === 0 && s.patch.index === 4 && s.region).map((s) => ({ label: `op ${s.op_index}`, region: s.region })),
    ];
    // Each feature-map pixel of each map, read from the canvas: orange inside the plan's
    // region, background outside (the map's outline ring and the tile's green outline left out).
    const drawn = await page.$eval('#pyramid-canvas', (c, want) => {
      const ratio = c.width / c.getBoundingClientRect().width;
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const { scale, maps } = c.layout;
      return maps.map((m, k) => {
        const r = want[k].region;
        const wrong = [];
        let [inside, outside] = [0, 0];
        for (let j = 1; j < m.h - 1; j++) {
          for (let i = 1; i < m.w - 1; i++) {
            if (m.tile && ([m.tile.x0, m.tile.x1].some((e) => Math.abs(i + 0.5 - e) < 1) || [m.tile.y0, m.tile.y1].some((e) => Math.abs(j + 0.5 - e) < 1))) continue;
            const at = (Math.floor((m.top + (j + 0.5) * scale) * ratio) * c.width + Math.floor((m.x0 + (i + 0.5) * scale) * ratio)) * 4;
            const [red, , blue] = [d[at], d[at + 1], d[at + 2]];
            const inRegion = r.x0 <= i && i < r.x1 && r.y0 <= j && j < r.y1;
            if (inRegion ? red - blue > 50 : red < 40) inRegion ? inside++ : outside++;
            else wrong.push([i, j, red, blue]);
          }
        }
        return { label: m.label, inside, outside, wrong: wrong.slice(0, 4) };
      });
    }, want);
    assert.deepEqual(drawn.map((m) => m.label), want.map((m) => m.label));
    for (const m of drawn) {
      assert.deepEqual(m.wrong, [], `${m.label}: pixels drawn against the plan's region (x, y, red, blue)`);
      assert.ok(m.inside > 0 && m.outside > 0, `${m.label}: ${m.inside} pixels inside, ${m.outside} outside`);
    }
    console.log(`    patch 5 of 3×3, ${drawn.length} maps drawn as the plan's regions (${drawn.reduce((s, m) => s + m.inside + m.outside, 0)} pixels checked): ${want.map((m) => `${m.label} ${m.region.y1 - m.region.y0}×${m.region.x1 - m.region.x0}`).join(', ')}`);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the board card refuses a model larger than the MCU\'s Flash, even when its SRAM fits'(server) {
    const { browser, page, problems } = await open(server, [], { hash: '#model=mbv2&mcu=stm32f412&patch=auto&streamed-input&in-place-depthwise&in-place-pointwise&in-place-add' });
    const plan = await page.evaluate(() => window.mcupatchPlan());
    const { board } = plan;
    console.log(`    ${board.mcu.name}: SRAM ${board.sram_needed} of ${board.sram} B, Flash ${board.flash_needed} of ${board.flash} B`);
    assert.deepEqual([board.mcu.name, board.fits_sram, board.fits_flash], ['stm32f412', true, false]);
    const card = await page.textContent('#board');
    console.log(`    board: ${card} · ${await page.textContent('#fits')}`);
    assert.match(card, /does not fit/);
    assert.match(card, new RegExp(`Flash ${board.flash_needed.toLocaleString('en')} B of ${board.flash.toLocaleString('en')} B`));
    // The headline next to the peak says the board does not fit it, and why.
    assert.match(await page.textContent('#fits'), /^does not fit: the weights need [\d.]+ KiB of Flash, the board has 1024 KiB \(the SRAM fits\)$/);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a dropped keyword-spotting model: "use the CLI", its name in the selector, no verdict'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    assert.equal(await verdict(page), 'person');
    const bytes = [...readFileSync(join(ROOT, 'models/mltk/keyword_spotting.tflite'))];
    await page.evaluate((bytes) => {
      const file = new File([new Uint8Array(bytes)], 'keyword_spotting.tflite');
      const drop = new DragEvent('drop', { dataTransfer: new DataTransfer(), bubbles: true, cancelable: true });
      drop.dataTransfer.items.add(file);
      document.body.dispatchEvent(drop);
    }, bytes);
    await page.waitForFunction(() => document.getElementById('model-select').value.startsWith('file:'), null, { timeout: 30000 });
    await idle(page);
    await page.waitForTimeout(1500); // frames from the camera go on: none may bring a verdict back
    const selected = await page.$eval('#model-select', (s) => s.selectedOptions[0].textContent);
    const [shown, spoken, probability] = await Promise.all(['#verdict', '#verdict-live', '#probability'].map((s) => page.textContent(s)));
    console.log(`    selector "${selected}", verdict "${shown}", announced "${spoken}", "${probability}"`);
    assert.match(selected, /keyword_spotting\.tflite/);
    assert.match(probability, /this page runs image models; use the CLI/);
    assert.ok(!/person/.test(shown) && !/person/.test(spoken), `verdict "${shown}", announced "${spoken}"`);
    assert.equal(await banner(page), '');
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'a broken .tflite shows the error banner and the page keeps working'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.waitForSelector('#camera-message:not([hidden])');
    const broken = join(CLIPS, 'broken.tflite');
    writeFileSync(broken, 'this is not a flatbuffer at all');
    await page.setInputFiles('#model-file', broken);
    await page.waitForSelector('#error-banner:not([hidden])');
    assert.match(await page.textContent('#error-banner'), /not a valid TFLite model/);
    await page.screenshot({ path: join(SHOTS, 'error-banner.png') });
    assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
    await page.selectOption('#patch-select', '3x3');
    await idle(page);
    assert.equal((await page.evaluate(() => window.mcupatchPlan())).schedule.stages[0].rows, 3);
    assert.deepEqual(problems, []);
    await browser.close();
  },
};

const only = process.argv.slice(2);
const server = await serve(join(ROOT, 'www'));
let failed = 0;
let passed = 0;
for (const [name, run] of Object.entries(tests)) {
  if (only.length && !only.some((w) => name.includes(w))) continue;
  const start = Date.now();
  try {
    await run(server);
    passed++;
    console.log(`ok - ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n${e.stack ?? e}`);
  }
}
server.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
