// The gallery of trained models and what the page shows for each: rock-paper-scissors labels a
// real photo with its own class names and sees it in grey, the verdict follows the model when
// the list switches, a map output is drawn with no verdict, and the pixel range can be overridden.
// Run alone: `node --test tests/web/gallery.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { camera, clip, open, idle, serveWww, shot } from './harness.mjs';
import { assertSamePlanAsCli, assertSameRunAsCli, banner, modelVerdict, verdict } from './checks.mjs';
import { CIFAR, RPS, drop, modelFiles } from './model-files.mjs';

const server = await serveWww();
after(() => server.close());

test('rock-paper-scissors labels a real photo with its own class names, seen in grey', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#model=rps' });
  const model = await page.evaluate(() => window.mcupatchModel());
  // Its names come from its MLTK metadata, not `class k`.
  assert.equal(model.metadata, 'MLTK');
  assert.ok(model.labels.length >= 3 && model.labels.every((l) => !/^class \d+$/.test(l)), `${model.labels}`);
  const label = await modelVerdict(page);
  assert.ok(model.labels.includes(label));
  assert.match(await page.textContent('#probability'), new RegExp(`^${label} \\d\\.\\d\\d$`));
  await assertSameRunAsCli(page, RPS);
  // What the network sees: one channel, standardized by its metadata's rule, drawn grey.
  assert.match(await page.textContent('#input-seen'), /84×84×1 int8, grayscale .*each image standardized.*the model's MLTK metadata/);
  const [r, g, b] = await page.$eval('#input-canvas', (c) => Array.from(c.getContext('2d').getImageData(c.width / 2, c.height / 3, 1, 1).data));
  assert.ok(r === g && g === b, `a grey pixel, got ${r},${g},${b}`);
  // Its source and licence, and nothing that belongs to VWW.
  assert.match(await page.textContent('#model-source'), /Silicon Labs MLTK.*zlib/);
  assert.doesNotMatch(await page.textContent('#model-about'), /person/i);
  await page.screenshot({ path: shot('gallery-rps.png') });
  assert.deepEqual(problems, []);
});

test('the gallery switches models and the verdict, names and description follow', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
  assert.equal(await verdict(page), 'person');
  const groups = await page.$$eval('#model-select optgroup', (gs) => gs.map((g) => [g.label, [...g.children].map((o) => o.value)]));
  assert.deepEqual(groups.map(([, keys]) => keys), [['vww', 'rps', 'cifar10'], ['mbv2', 'mbv2-rd', 'mbv1']]);
  for (const key of ['cifar10', 'rps']) {
    await page.selectOption('#model-select', key);
    await idle(page);
    const model = await page.evaluate(() => window.mcupatchModel());
    const label = await modelVerdict(page);
    assert.ok(model.labels.includes(label), `${key}: ${label} of ${model.labels}`);
    assert.match(page.url(), new RegExp(`model=${key}`));
    await assertSamePlanAsCli(page, key === 'rps' ? RPS : CIFAR);
  }
  // The tour tells the loaded model's story: rock-paper-scissors stays, its own input named.
  await page.click('#tour-button');
  await page.waitForFunction(() => document.getElementById('tour-text').textContent !== '', null, { timeout: 30000 });
  await idle(page);
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'rps');
  assert.match(await page.textContent('#tour-text'), /84×84×1 int8 input of Rock, paper, scissors/);
  await page.click('#tour-close');
  await page.selectOption('#model-select', 'mbv2');
  await idle(page);
  assert.match(await page.textContent('#probability'), /synthetic weights/);
  assert.match(await page.textContent('#model-about'), /synthetic weights/);
  await page.selectOption('#model-select', 'vww');
  await idle(page);
  assert.equal(await verdict(page), 'person');
  assert.equal(await banner(page), '');
  assert.deepEqual(problems, []);
});

test('a map output is drawn beside the picture with no verdict', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
  await drop(page, 'rps_map.tflite', modelFiles()['rps_map.tflite']);
  await page.waitForFunction(() => window.mcupatchModel()?.output === 'map' && window.mcupatchLastFrame(), null, { timeout: 30000 });
  await page.waitForSelector('#map-figure:not([hidden])');
  assert.equal(await page.textContent('#verdict'), '—');
  assert.match(await page.textContent('#probability'), /no verdict: the output is a 41×41×16 map/);
  assert.match(await page.textContent('#map-caption'), /41×41×16 output map/);
  // The map is drawn: not one flat colour.
  const colours = await page.$eval('#map-canvas', (c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return new Set(Array.from({ length: data.length / 4 }, (_, i) => data.slice(i * 4, i * 4 + 3).join())).size;
  });
  assert.ok(colours > 2, `${colours} colours`);
  await page.screenshot({ path: shot('gallery-map.png') });
  assert.deepEqual(problems, []);
});

/// The share of the last frame's int8 input bytes at −128 or 127, once a frame of the current
/// plan has run.
async function saturated(page) {
  const serial = await page.evaluate(() => window.mcupatchFramesShown());
  await page.waitForFunction((n) => window.mcupatchFramesShown() > n + 1, serial, { timeout: 20000 });
  const { input } = await page.evaluate(() => window.mcupatchLastFrame());
  return input.filter((b) => b === 127 || b === 128).length / input.length;
}

/// Types a pixel range into the two fields, as a user would, and waits for its plan.
async function setRange(page, lo, hi) {
  await page.fill('#pixel-lo', String(lo));
  await page.fill('#pixel-hi', String(hi));
  await page.press('#pixel-hi', 'Enter');
  await page.waitForFunction(([lo, hi]) => window.mcupatchPlan()?.settings.pixel_range?.join() === `${lo},${hi}`, [lo, hi]);
  await idle(page);
}

test('the pixel range: the model\'s own rule shown, overridden, in the link and the command, and reset', async (t) => {
  const { browser, page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#model=cifar10&mcu=stm32f411' });
  let plan = await page.evaluate(() => window.mcupatchPlan());
  assert.deepEqual([plan.input_range.rule, plan.input_range.lo, plan.settings.pixel_range], ['quantization', -1, null]);
  assert.match(await page.textContent('#input-seen'), /become -1\.\.0\.9922, by the int8 input's representable range/);
  // Trained on [-1, 1]: the photo reaches it, not a wall of saturated bytes.
  assert.ok(await saturated(page) < 0.1, `${await saturated(page)} of the input bytes saturated`);
  // Pixels taken as 0..255 (what every model got before the input range was the model's):
  // most bytes saturate; the override is what the runner uses.
  await setRange(page, 0, 255);
  assert.ok(await saturated(page) > 0.5, `${await saturated(page)} of the input bytes saturated at 0..255`);
  await setRange(page, 0, 1);
  plan = await page.evaluate(() => window.mcupatchPlan());
  assert.deepEqual(plan.settings.pixel_range, [0, 1]);
  assert.match(page.url(), /pixel-range=0,1(&|$)/);
  // The link carries it.
  const linked = await browser.newPage();
  await linked.goto(page.url());
  await idle(linked);
  assert.deepEqual((await linked.evaluate(() => window.mcupatchPlan())).input_range, plan.input_range);
  await linked.close();
  // `plan` takes the range too: the command reproduces the downloaded report.
  assert.match(await page.textContent('#cli-command'), /^mcupatch (plan|inspect) models\/mltk\/image_classification\.tflite --mcu stm32f411.* --pixel-range 0,1$/);
  await page.click('#pixel-own');
  await page.waitForFunction(() => window.mcupatchPlan()?.input_range.rule === 'quantization');
  assert.doesNotMatch(page.url(), /pixel-range/);
  assert.deepEqual(problems, []);
});
