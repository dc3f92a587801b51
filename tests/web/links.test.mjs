// Links: the settings in a page's hash reproduce its plan in another tab and after a reload; a
// link the page cannot open wholly opens what it can, with a note naming what was ignored.
// Run alone: `node --test tests/web/links.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { camera, clip, open, idle, serveWww, shot } from './harness.mjs';
import { banner, difference, verdict } from './checks.mjs';
import { RPS, drop } from './model-files.mjs';

const server = await serveWww();
after(() => server.close());

test('a link with settings in its hash reproduces the plan and the peak after reload', async (t) => {
  const { browser, page, problems } = await open(t, server, []);
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
});

test('a link naming an unknown model or bad settings opens what it can, with a note naming what was ignored', async (t) => {
  const { browser, page, problems } = await open(t, server, camera(clip('astronaut.png')),
    { hash: '#model=nosuch&sram=abc&colour=red&patch=3x3' });
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
  let note = await page.textContent('#link-note');
  for (const named of ['"nosuch"', 'sram=abc', 'colour=red']) assert.ok(note.includes(named), `${named} in "${note}"`);
  // Not a dead page: VWW with the first screen's own settings (the planner's patch plan), planned, and a verdict.
  const own = await page.evaluate(() => window.mcupatchPlan());
  assert.deepEqual([own.settings.patch, own.settings.split], [['auto'], []]);
  assert.ok(own.schedule.stages.length > 0);
  assert.equal(await verdict(page), 'person');
  assert.ok((await page.$$eval('#mcu-select option', (os) => os.length)) > 1);
  await page.screenshot({ path: shot('link-unknown-model.png') });
  // A known model: what it can take it takes, the rest is named.
  const known = await browser.newPage();
  await known.goto(`${server.url}#model=vww&patch=3x3&split=t9999&mcu=esp99&streamed-input`);
  await idle(known);
  note = await known.textContent('#link-note');
  for (const named of ['split=t9999 (not a split of this model)', 'mcu=esp99 (not an MCU preset)']) assert.ok(note.includes(named), `${named} in "${note}"`);
  const plan = await known.evaluate(() => window.mcupatchPlan());
  assert.deepEqual([plan.schedule.stages[0]?.rows, plan.settings.streamed_input], [3, true]);
  assert.deepEqual(problems, []);
});

test('a link whose settings the planner refuses opens the model with its own settings and says why', async (t) => {
  for (const [sram, why] of [['99999999', /SRAM 99999999 B must be between 1 byte and \d+ B/], ['999999999999', /setting sram takes a whole number of bytes from 1 to \d+, not 999999999999/]]) {
    const { page, problems } = await open(t, server, [], { hash: `#model=rps&sram=${sram}` });
    assert.equal(await page.$eval('#model-select', (s) => s.value), 'rps');
    const note = await page.textContent('#link-note-text');
    assert.match(note, /^The link's settings could not be planned \(.*\): opened with the model's own\.$/);
    assert.match(note, why);
    assert.equal(await banner(page), '');
    assert.ok(await page.evaluate(() => window.mcupatchPlan()));
    assert.deepEqual(problems, []);
  }
});

test('a dropped model\'s link asks for the file again, and dropping it restores the plan', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=file:my_rps.tflite&patch=2x2&in-place-depthwise' });
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
  assert.match(await page.textContent('#link-note'), /made with a model dropped on the page, my_rps\.tflite: drop that file here again/);
  await drop(page, 'my_rps.tflite', readFileSync(RPS));
  await page.waitForFunction(() => document.getElementById('model-select').value === 'file:my_rps.tflite', null, { timeout: 30000 });
  await idle(page);
  const plan = await page.evaluate(() => window.mcupatchPlan());
  assert.deepEqual([plan.input.shape, plan.schedule.stages[0]?.rows, plan.settings.in_place_depthwise], [[1, 84, 84, 1], 2, true]);
  assert.equal(await page.isVisible('#link-note'), false);
  assert.match(page.url(), /model=file%3Amy_rps\.tflite&.*patch=2x2/);
  assert.deepEqual(problems, []);
});
