// The page in a real browser (Debian's chromium through playwright-core), fed by Chromium's
// fake webcam playing clips made from real photos (`mcupatch fake-camera`).
// Run by `make test` after the wasm build; writes screenshots to screenshots/.
import { chromium } from 'playwright-core';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../tools/serve.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI = join(ROOT, 'target/release/mcupatch');
const CLIPS = mkdtempSync(join(tmpdir(), 'mcupatch-clips-'));
const SHOTS = join(ROOT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

function clip(photo) {
  const out = join(CLIPS, photo.replace(/\..*/, '.y4m'));
  execFileSync(CLI, ['fake-camera', join(ROOT, 'data/images', photo), out, '--frames', '10']);
  return out;
}

async function open(server, args) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...args],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.goto(server.url);
  return { browser, page, problems };
}

const camera = (file) => ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`];

async function verdict(page) {
  await page.waitForFunction(() => ['person', 'no person'].includes(document.getElementById('verdict').textContent), null, { timeout: 30000 });
  await page.waitForTimeout(1500); // a few more frames: the verdict must be stable, not a first guess
  return page.textContent('#verdict');
}

/// The page's last frame, exactly as the engine saw it, through the CLI: the same int8
/// output and label.
async function assertSameAsCli(page) {
  const frame = await page.evaluate(() => window.mcupatchLastFrame());
  const raw = join(CLIPS, 'frame.bin');
  writeFileSync(raw, Buffer.from(frame.input));
  const cli = JSON.parse(execFileSync(CLI, ['run', join(ROOT, 'models/visual_wake_words.tflite'), '--input-raw', raw, '--json']));
  assert.deepEqual(cli.outputs[0].int8, frame.output);
  assert.equal(cli.label, frame.label);
}

function cliPeak(...flags) {
  const out = execFileSync(CLI, ['run', join(ROOT, 'models/visual_wake_words.tflite'), join(ROOT, 'data/images/astronaut.png'), '--json', ...flags]);
  return JSON.parse(out).arena.peak_bytes;
}

const tests = {
  async 'the astronaut on the webcam is a person; the arena peak equals the CLI\'s'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    assert.equal(await verdict(page), 'person');
    await page.screenshot({ path: join(SHOTS, 'live.png') });
    await assertSameAsCli(page);
    const shown = Number(await page.textContent('#peak-bytes'));
    assert.equal(shown, cliPeak('--patch', '3x3', '--sram', '20480', '--streamed-input', '--in-place-depthwise'));
    await page.selectOption('#patch-select', '');
    await page.waitForFunction(() => document.getElementById('patch-counter').textContent === 'layer by layer');
    assert.equal(Number(await page.textContent('#peak-bytes')), cliPeak('--in-place-depthwise'));
    await page.check('#inplace-pw');
    await page.selectOption('#patch-select', '4x4');
    await page.waitForTimeout(500);
    const flags = ['--patch', '4x4', '--sram', '20480', '--streamed-input', '--in-place-depthwise', '--in-place-pointwise'];
    assert.equal(Number(await page.textContent('#peak-bytes')), cliPeak(...flags));
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'the coffee cup on the webcam is no person'(server) {
    const { browser, page, problems } = await open(server, camera(clip('coffee.png')));
    assert.equal(await verdict(page), 'no person');
    await assertSameAsCli(page);
    assert.deepEqual(problems, []);
    await browser.close();
  },

  async 'step mode walks through every patch of the grid'(server) {
    const { browser, page, problems } = await open(server, camera(clip('astronaut.png')));
    await verdict(page);
    await page.click('#play');
    const seen = new Set();
    let total = 0;
    for (let i = 0; i < 200 && (total === 0 || seen.size < total); i++) {
      await page.click('#step-next');
      const text = await page.textContent('#patch-counter');
      const m = /^patch (\d+) \/ (\d+)/.exec(text);
      if (m) {
        seen.add(Number(m[1]));
        total = Number(m[2]);
      }
      if (i === 12) await page.screenshot({ path: join(SHOTS, 'step-mode.png') });
    }
    assert.equal(total, 9, 'a 3×3 grid');
    assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await page.locator('section.arena').screenshot({ path: join(SHOTS, 'arena.png') });
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

  async 'a broken .tflite shows the error banner'(server) {
    const { browser, page, problems } = await open(server, []);
    await page.waitForSelector('#camera-message:not([hidden])');
    const broken = join(CLIPS, 'broken.tflite');
    writeFileSync(broken, 'this is not a flatbuffer at all');
    await page.setInputFiles('#model-file', broken);
    await page.waitForSelector('#error-banner:not([hidden])');
    assert.match(await page.textContent('#error-banner'), /not a valid TFLite model/);
    await page.screenshot({ path: join(SHOTS, 'error-banner.png') });
    assert.deepEqual(problems, []);
    await browser.close();
  },
};

const server = await serve(join(ROOT, 'www'));
let failed = 0;
let passed = 0;
for (const [name, run] of Object.entries(tests)) {
  try {
    await run(server);
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n${e.stack ?? e}`);
  }
}
server.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
