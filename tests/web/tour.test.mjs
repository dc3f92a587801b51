// The guided tour: each step is an experiment the student does (pause, step, pick a grid, click
// a bar, tick a switch) and the page confirms, with the figures of the model loaded — on Visual
// Wake Words, rock-paper-scissors and MobileNetV2 alike, none of which it swaps for another;
// its box sits beside its subject (screenshots/tour-MODEL-WxH-N.png); its link reopens the step.
// Run alone: `node --test tests/web/tour.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { camera, clip, open, idle, launch, newPage, shot, serveWww } from './harness.mjs';
import { difference } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

/// The page's report and the figures the tour words it with (the page's own formatting).
const figures = (page) => page.evaluate(async () => {
  const format = await import('./app/format.js');
  const r = window.mcupatchPlan();
  return {
    r,
    lbl: format.kib(r.layer_by_layer.peak.bytes), peak: format.kib(r.patched.peak.bytes), sram: format.kib(r.board.sram),
    overhead: format.percent(r.patched.overhead), grid: r.schedule.stages.map((s) => `${s.rows}×${s.cols}`).join(' + '),
  };
});

const boxText = (page, id) => page.textContent(`#${id}`);

/// Clicks the tour box's button `words` (the box offers what the step asks for).
const press = (page, words) => page.click(`#tour-do button:text-is("${words}")`);

/// Waits until the step confirms (✓); `act` is tried up to `tries` times meanwhile.
async function untilDone(page, act, tries) {
  for (let i = 0; i < tries; i++) {
    if ((await boxText(page, 'tour-done')).startsWith('✓')) return;
    await act(i);
    await idle(page);
    await page.waitForTimeout(100);
  }
  await page.waitForFunction(() => document.getElementById('tour-done').textContent.startsWith('✓'), null, { timeout: 30000 });
}

/// The box beside its subject, never over it, both on the screen.
async function assertBeside(page, where, height) {
  // The page presents a subject again in the frame after it grows (a panel filling in).
  await page.waitForFunction(() => {
    const s = document.querySelector('.tour-focus').getBoundingClientRect();
    const b = document.getElementById('tour').getBoundingClientRect();
    return s.bottom <= innerHeight + 0.5 || s.height + b.height + 24 > innerHeight;
  }, null, { timeout: 10000 }).catch(() => {});
  const [subject, box] = await page.evaluate(() => [
    document.querySelector('.tour-focus').getBoundingClientRect().toJSON(),
    document.getElementById('tour').getBoundingClientRect().toJSON(),
  ]);
  const at = `${where}: subject ${JSON.stringify(subject)}, box ${JSON.stringify(box)}`;
  const apart = box.right <= subject.left || box.left >= subject.right || box.bottom <= subject.top || box.top >= subject.bottom;
  assert.ok(apart, `the box covers its subject: ${at}`);
  assert.ok(box.top >= 0 && box.bottom <= height, `the box is off the screen: ${at}`);
  assert.ok(subject.top >= 0 && subject.top < height - 40, `the subject is off the screen: ${at}`);
  if (subject.height + box.height + 24 <= height) assert.ok(subject.bottom <= height + 0.5, `the subject is cut: ${at}`);
}

/// Walks the whole tour on the model loaded, doing each step's experiment; returns what it saw.
async function walkTour(page, { name, width, height, frames }) {
  const model = await page.$eval('#model-select', (s) => s.value);
  await page.click('#tour-button');
  const seen = [];
  for (let step = 1; ; step++) {
    await idle(page);
    await page.waitForFunction(() => document.getElementById('tour-text').textContent !== '');
    const title = await boxText(page, 'tour-title');
    const where = `${name} ${width}×${height} step ${step} "${title}"`;
    await assertBeside(page, where, height);
    let f = await figures(page);
    const words = await boxText(page, 'tour-text');
    // What the student sees before doing the step's experiment.
    await page.screenshot({ path: shot(`tour-${name}-${width}x${height}-${step}-task.png`) });
    // Every step's story stands on an MCU where layer by layer does not fit and a patch plan does.
    assert.ok(f.r.layer_by_layer.peak.bytes > f.r.board.sram, `${where}: layer by layer fits ${f.sram}`);
    if (step === 1) {
      await press(page, 'Pause');
      await untilDone(page, () => {}, 0);
      if (frames) assert.match(await boxText(page, 'tour-done'), /^✓ Paused on this frame: .+, score \d\.\d\d, from \d+×\d+×[13] int8 values\.$/);
    } else if (step === 2) {
      assert.deepEqual(f.r.schedule.stages, [], `${where}: layer by layer`);
      assert.ok(words.includes(f.lbl) && words.includes(f.sram) && words.includes('so it does not fit'), `${where}: ${words}`);
      const p = f.r.layer_by_layer.peak;
      assert.equal(await boxText(page, 'tour-task'), `Step with ▶ (or →) to step ${p.step + 1}, where the peak is.`);
      await untilDone(page, () => press(page, '▶'), p.step + 2);
      assert.equal(await page.textContent('#step-counter'), `step ${p.step + 1} / ${f.r.patched.steps.length}: op ${p.op} ${p.op_name}`);
      assert.ok((await boxText(page, 'tour-done')).includes(`${p.buffers.length} buffers live at once, ${f.lbl} together`), where);
    } else if (step === 3) {
      const grids = await page.$$eval('#tour-do button', (bs) => bs.map((b) => b.textContent).filter((w) => /^\d+×\d+$/.test(w)));
      assert.ok(grids.length >= 2, `${where}: grids offered ${grids}`);
      await untilDone(page, (i) => press(page, grids[Math.min(i + 1, grids.length - 1)]), grids.length);
      f = await figures(page);
      assert.equal(f.r.board.fits_sram, true);
      assert.ok((await boxText(page, 'tour-done')).startsWith(`✓ ${f.grid}: `) && (await boxText(page, 'tour-done')).includes(`peak ${f.peak} fits under the red line, ${f.sram}`), where);
    } else if (step === 4) {
      assert.ok(words.includes(f.overhead) && words.includes(f.grid), `${where}: ${words}`);
      await untilDone(page, () => press(page, 'next patch'), 2);
      const [, index] = /^✓ Patch (\d+):/.exec(await boxText(page, 'tour-done'));
      const counter = await page.textContent('#patch-counter');
      assert.ok(counter.startsWith(`patch ${index} / `), `${where}: ${counter}`);
    } else if (step === 5) {
      await untilDone(page, () => press(page, 'finer ]'), 12);
      f = await figures(page);
      const done = await boxText(page, 'tour-done');
      assert.ok(done.includes(`${f.grid}: ${f.peak}`), `${where}: ${done}`);
      if (!f.r.patched.peak.patch) assert.ok(done.includes(`At ${f.grid} the peak sits after the split, at op ${f.r.patched.peak.op} (${f.r.patched.peak.op_name})`), done);
    } else if (step === 6) {
      assert.deepEqual(f.r.settings.patch, ['auto']);
      assert.ok(words.includes(f.peak) && words.includes(f.overhead), `${where}: ${words}`);
      const auto = f;
      // The bar of another grid, clicked on the chart as a student does.
      await page.waitForFunction(() => document.getElementById('sweep-grids').bars?.items.some((i) => !i.current), null, { timeout: 60000 });
      const bar = await page.$eval('#sweep-grids', (c) => {
        const k = c.bars.items.findIndex((i) => !i.current);
        return { x: c.bars.x(k), y: c.bars.y(c.bars.items[k].c.peak_bytes / 2) };
      });
      await page.click('#sweep-grids', { position: bar });
      await untilDone(page, () => {}, 0);
      f = await figures(page);
      assert.equal(await boxText(page, 'tour-done'), `✓ ${f.grid}: ${f.peak}, ${f.overhead} MACs, ${f.r.board.fits_sram ? 'fits' : 'does not fit'}. Auto's ${auto.grid}: ${auto.peak}, ${auto.overhead} MACs.`);
      assert.equal(await boxText(page, 'tour-text'), words, 'the words stay auto\'s');
    } else if (step === 7) {
      if (frames) {
        await press(page, 'Break it');
        await untilDone(page, () => {}, 0);
        const broken = await page.evaluate(() => window.mcupatchBroken());
        const done = await boxText(page, 'tour-done');
        assert.ok(done.startsWith(`✓ ${broken.differing_pixels} of ${broken.split.shape[1] * broken.split.shape[2]} split pixels wrong; verdict wrong on `), `${where}: ${done}`);
      } else {
        assert.match(words, /a network with synthetic weights runs none\. Load Visual Wake Words or Rock, paper, scissors/);
        assert.equal(await boxText(page, 'tour-task'), '');
      }
    }
    await page.screenshot({ path: shot(`tour-${name}-${width}x${height}-${step}.png`) });
    seen.push({ title, words, done: await boxText(page, 'tour-done') });
    if (await page.isDisabled('#tour-next')) break;
    await page.click('#tour-next');
  }
  assert.equal(await page.$eval('#model-select', (s) => s.value), model, 'the tour keeps the model loaded');
  return seen;
}

test('the tour\'s link reopens the same step with the same plan', async (t) => {
  const { browser, page, problems } = await open(t, server, []);
  await page.click('#tour-button');
  await idle(page);
  await page.click('#tour-next');
  await idle(page);
  await page.click('#tour-next');
  await idle(page);
  assert.equal(await page.textContent('#tour-count'), '3 / 7');
  assert.match(page.url(), /tour=3/);
  const report = await page.evaluate(() => window.mcupatchPlan());
  const second = await browser.newPage();
  await second.goto(page.url());
  await idle(second);
  await second.waitForFunction(() => document.getElementById('tour-text').textContent !== '');
  assert.equal(await second.textContent('#tour-title'), 'Patches');
  assert.equal(difference(await second.evaluate(() => window.mcupatchPlan()), report), null);
  assert.deepEqual(problems, []);
});

test('every tour step on Visual Wake Words is an experiment the page confirms, its box beside its subject, at four sizes', async (t) => {
  const file = clip('astronaut.png');
  for (const [width, height, ratio] of [[853, 480, 1.5], [1280, 720, 1], [1920, 1080, 1], [390, 844, 3]]) {
    const { browser, page, problems } = await open(t, server, camera(file), { viewport: { width, height }, deviceScaleFactor: ratio });
    const seen = await walkTour(page, { name: 'vww', width, height, frames: true });
    if (width === 1280) console.log(seen.map((s, i) => `    ${i + 1}. ${s.title}: ${s.done}`).join('\n'));
    assert.deepEqual(problems, []);
    await browser.close();
  }
});

test('the tour works on rock-paper-scissors and MobileNetV2 without loading another model', async (t) => {
  const file = clip('astronaut.png');
  for (const [key, frames] of [['rps', true], ['mbv2', false]]) {
    const { browser, page, problems } = await open(t, server, camera(file), { hash: `#model=${key}` });
    const seen = await walkTour(page, { name: key, width: 1280, height: 720, frames });
    console.log(seen.map((s, i) => `    ${key} ${i + 1}. ${s.title}: ${s.done || s.words}`).join('\n'));
    assert.deepEqual(problems, []);
    await browser.close();
  }
});

test('under reduced motion the tour\'s experiments never start the animation', async (t) => {
  const browser = await launch(camera(clip('astronaut.png')));
  t.after(() => browser.close());
  const { page, problems } = await newPage(browser);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${server.url}#model=vww&tour=1`);
  await idle(page);
  await page.waitForFunction(() => document.getElementById('tour-text').textContent !== '');
  await press(page, 'Pause');
  await untilDone(page, () => {}, 0);
  assert.equal(await page.textContent('#play'), 'Play');
  // The last step needs camera frames: they run again, and the steps still wait.
  for (let i = 0; i < 6; i++) {
    await page.click('#tour-next');
    await idle(page);
  }
  assert.equal(await boxText(page, 'tour-title'), 'Break it');
  const step = await page.textContent('#step-counter');
  await press(page, 'Break it');
  await untilDone(page, () => {}, 0);
  assert.equal(await page.textContent('#play'), 'Play');
  assert.equal(await page.textContent('#step-counter'), step, 'the steps stand still');
  assert.deepEqual(problems, []);
});

test('another model chosen during the tour: the step starts again on it, with its figures', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=vww&tour=3' });
  await page.waitForFunction(() => document.getElementById('tour-text').textContent !== '');
  assert.match(await boxText(page, 'tour-text'), /Layer by layer needs 54 KiB/);
  await page.selectOption('#model-select', 'rps');
  await page.waitForFunction(() => window.mcupatchModel()?.input.shape[3] === 1 && window.mcupatchIdle()
    && !/needs 54 KiB/.test(document.getElementById('tour-text').textContent), null, { timeout: 60000 });
  await idle(page);
  const f = await figures(page);
  assert.equal(await boxText(page, 'tour-title'), 'Patches');
  assert.equal(await boxText(page, 'tour-text'), `A patch plan runs the first ops one tile of the map at a time, so only one patch's small buffers live at once, and the right arena's peak falls. Layer by layer needs ${f.lbl}; this MCU has ${f.sram}.`);
  assert.deepEqual(f.r.schedule.stages, [], 'the step\'s own settings: layer by layer, a grid to pick');
  assert.match(page.url(), /model=rps.*tour=3/);
  assert.deepEqual(problems, []);
});
