// Exactness on the live camera: the badge (patches = layer by layer, byte for byte) and break
// it (without halos the split tensor differs, drawn on the difference map).
// Run alone: `node --test tests/web/exactness.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { camera, clip, open, idle, shot, serveWww } from './harness.mjs';
import { verdict, difference, canvasPixel } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('the exactness badge: patches equal layer by layer, byte for byte, on the live camera', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
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
});

test('break it: without halos the split tensor differs from layer by layer, with them it matches', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
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
  // The verdict flipped, or the panel says plainly why it held: the best class's score with and without halos.
  const flips = await page.textContent('#break-flips');
  const truth = broken.layer_by_layer;
  const score = (r) => r.scores[truth.class].toFixed(2);
  if (broken.halos_blanked.label === truth.label && /^verdict wrong on 0 /.test(flips)) {
    assert.ok(flips.includes(`the wrong pixels moved the score of ${truth.label} from ${score(truth)} to ${score(broken.halos_blanked)}, but it still scores highest`), flips);
  } else {
    assert.match(flips, /^verdict wrong on [1-9]\d* of the last \d+ frames: this frame \S.* with halos, \S.* without$/);
  }
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
  await page.locator('section.camera').screenshot({ path: shot('break-it.png') });
  // Layer by layer has no halos to break: the switch says so.
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.equal(await page.isDisabled('#break-it'), true);
  assert.equal(await page.textContent('#break-why'), 'Break it needs a patch plan: choose a grid.');
  assert.equal(await page.isVisible('#break-panel'), false);
  assert.deepEqual(problems, []);
});
