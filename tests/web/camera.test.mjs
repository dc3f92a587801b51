// The webcam and the verdict: Chromium's fake webcam playing clips made from real photos
// (`mcupatch fake-camera`); the verdict and the int8 output as the CLI gives them on the same
// bytes; no camera, a denied permission, a camera that stops; frames of any size.
// Run alone: `node --test tests/web/camera.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, CLI, VWW, camera, clip, open, scratchPath, shot, serveWww } from './harness.mjs';
import { verdict, assertSameRunAsCli } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('the astronaut on the webcam is a person, as the CLI says on the same bytes', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
  assert.equal(await verdict(page), 'person');
  await page.screenshot({ path: shot('live.png') });
  await assertSameRunAsCli(page);
  assert.deepEqual(problems, []);
});

test('the coffee cup on the webcam is non person', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('coffee.png')));
  assert.equal(await verdict(page), 'non person');
  await assertSameRunAsCli(page);
  assert.deepEqual(problems, []);
});

test('the preview is decoded with the input\'s quantization', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
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
});

test('without a camera the page says so and classifies the sample photos', async (t) => {
  const { page, problems } = await open(t, server, []);
  await page.waitForSelector('#camera-message:not([hidden])');
  assert.match(await page.textContent('#camera-message'), /No camera/);
  assert.equal(await verdict(page), 'person'); // the first sample is the astronaut
  await page.click('#samples button:has-text("coffee")');
  await page.waitForFunction(() => document.getElementById('verdict').textContent === 'non person', null, { timeout: 10000 });
  assert.deepEqual(problems, []);
});

test('camera permission denied: a message, the samples, and a way back', async (t) => {
  const file = clip('astronaut.png');
  const { page, problems } = await open(t, server, ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`, '--deny-permission-prompts']);
  await page.waitForSelector('#camera-message:not([hidden])');
  assert.match(await page.textContent('#camera-message'), /permission was denied/);
  assert.equal(await page.isVisible('#camera-retry'), true);
  assert.equal(await verdict(page), 'person'); // the astronaut sample
  assert.deepEqual(problems, []);
});

test('the camera stopping mid-stream falls back to the samples; retry brings it back', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('coffee.png')));
  assert.equal(await verdict(page), 'non person');
  await page.evaluate(() => document.getElementById('video').srcObject.getVideoTracks()[0].dispatchEvent(new Event('ended')));
  await page.waitForSelector('#camera-message:not([hidden])');
  assert.match(await page.textContent('#camera-message'), /camera stopped/);
  await page.waitForFunction(() => document.getElementById('verdict').textContent === 'person', null, { timeout: 15000 });
  await page.click('#camera-retry');
  await page.waitForFunction(() => document.getElementById('verdict').textContent === 'non person', null, { timeout: 15000 });
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
});

test('a clip of a photo keeps its levels: the same verdict and the same pixels as the photo', async (t) => {
  for (const photo of ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png', 'rocket.jpg']) {
    const { browser, page, problems } = await open(t, server, camera(clip(photo)));
    const seen = await verdict(page);
    const [frame, plan] = await page.evaluate(() => [window.mcupatchLastFrame(), window.mcupatchPlan()]);
    // The photo itself through the CLI: its label and the input tensor it fills.
    const dump = mkdtempSync(scratchPath('dump-'));
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
});

test('tiny, huge and portrait camera frames are classified and described', async (t) => {
  for (const [size, expect] of [['16x12', /smaller than the network's 96×96 input/], ['2560x1440', /^frame 2560×1440$/], ['480x640', /portrait/]]) {
    const out = clip('astronaut.png', { frames: 2, size, name: `astronaut-${size}.y4m` });
    const { browser, page, problems } = await open(t, server, camera(out));
    assert.ok(['person', 'non person'].includes(await verdict(page)));
    assert.match(await page.textContent('#frame-info'), expect);
    if (size === '480x640') await page.screenshot({ path: shot('portrait-camera.png') });
    assert.deepEqual(problems, []);
    await browser.close();
  }
});
