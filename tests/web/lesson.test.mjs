// The page as a lesson (issue 25): the untouched first screen shows a patch plan that fits the
// chosen MCU next to layer by layer, on every preset, in a sentence of the report's figures;
// the camera and both arenas on the first screen of a zoomed laptop; controls that say when
// another setting overrides them; keyboard shortcuts that leave form controls their keys;
// reduced motion; a plan card that stays put while playing; classroom mode's large type.
// Run alone: `node --test tests/web/lesson.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { CLI, VWW, camera, clip, open, idle, launch, newPage, shot, serveWww } from './harness.mjs';
import { assertSamePlanAsCli, verdict, reveal } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

// 1280×720 zoomed to 150 %: what a laptop on a classroom projector shows.
const ZOOMED = { viewport: { width: 853, height: 480 }, deviceScaleFactor: 1.5 };

/// The sentence's figures: the words shown and the report's value each carries.
const figures = (page) => page.$$eval('#lesson b', (bs) => bs.map((b) => ({ words: b.textContent.replace(/\u00a0/g, ' '), value: Number(b.dataset.value) })));

/// The sentence as read (its figures never break: no-break spaces).
const sentence = async (page) => (await page.textContent('#lesson')).replace(/\u00a0/g, ' ');

/// A figure's words ("54 KiB", "18.0 KiB", "9,216 B", "8 patches", "14.2 %") say `value`
/// to the precision shown.
function says(words, value, what) {
  const m = /^([\d,.]+) (KiB|B|patches|patch|%)$/.exec(words);
  assert.ok(m, `${what}: "${words}"`);
  const shown = Number(m[1].replace(/,/g, ''));
  const decimals = m[1].split('.')[1]?.length ?? 0;
  const unit = { KiB: 1024, B: 1, patches: 1, patch: 1, '%': 0.01 }[m[2]];
  assert.ok(Math.abs(shown * unit - value) <= (0.5 * unit) / 10 ** decimals + 1e-9, `${what}: "${words}" for ${value}`);
}

/// Every text a student sees, in the page and drawn on its canvases (at least `canvases` of
/// them drawn), is at least `px` pixels high.
async function assertTextAtLeast(page, px, canvases) {
  const small = await page.evaluate((px) => {
    const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const texts = [...document.querySelectorAll('body *')].filter((e) => visible(e)
      && ([...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) || e.matches('select, input, button')));
    return texts.map((e) => [e.id || e.className || e.tagName, parseFloat(getComputedStyle(e).fontSize)]).filter(([, size]) => size < px);
  }, px);
  assert.deepEqual(small, [], `text under ${px} px`);
  const fonts = await page.$$eval('canvas', (cs) => cs.filter((c) => c.getClientRects().length).map((c) => [c.id, c.getContext('2d').font]));
  assert.ok(fonts.length >= canvases, JSON.stringify(fonts));
  for (const [id, font] of fonts) assert.ok(parseFloat(/(\d+(\.\d+)?)px/.exec(font)[1]) >= px, `${id}: ${font}`);
}

/// The sentence says the report's layer-by-layer peak, SRAM, patches, patch peak and extra work.
async function assertSentence(page, report) {
  const [lbl, sram, patches, peak, work] = await figures(page);
  const { layer_by_layer: l, patched: p, board, schedule } = report;
  assert.equal(lbl.value, l.peak.bytes);
  says(lbl.words, l.peak.bytes, 'layer by layer');
  assert.equal(sram.value, board.sram);
  says(sram.words, board.sram, 'SRAM');
  const count = schedule.stages.reduce((n, s) => n + s.rows * s.cols, 0);
  assert.equal(patches.value, count);
  says(patches.words, count, 'patches');
  assert.equal(peak.value, p.peak.bytes);
  says(peak.words, p.peak.bytes, 'patch peak');
  if (p.overhead > 0) {
    assert.equal(work.value, p.overhead);
    says(work.words, p.overhead, 'more work');
  } else {
    assert.equal(work, undefined);
    assert.match(await sentence(page), /does no more work/);
  }
}

test('the untouched first screen shows a patch plan that fits, on every MCU preset, in a sentence of the report\'s figures', async (t) => {
  const { page, problems } = await open(t, server, []);
  const first = await page.evaluate(() => window.mcupatchPlan());
  assert.equal(first.board.sram, 20 * 1024, 'the default: a 20 KiB custom MCU');
  let holding = 0;
  for (const mcu of ['custom', ...(await page.evaluate(() => window.mcupatchCatalog().mcus.map((m) => m.name)))]) {
    if (mcu !== 'custom') {
      await page.selectOption('#mcu-select', mcu);
      await idle(page);
    }
    const report = await page.evaluate(() => window.mcupatchPlan());
    assert.ok(report.schedule.stages.length > 0, `${mcu}: a patch plan`);
    assert.equal(report.board.fits_sram, true, `${mcu}: it fits`);
    assert.notEqual(report.board.fits_flash, false, `${mcu}: its weights fit`);
    await assertSentence(page, report);
    // An MCU that holds layer by layer: the sentence says patches cut nothing there, and how to see them cut.
    if (report.layer_by_layer.peak.bytes <= report.board.sram && report.patched.peak.bytes >= report.layer_by_layer.peak.bytes) {
      assert.match(await sentence(page), new RegExp(`^Layer by layer needs [\\d.]+ KiB and fits this ${mcu}'s [\\d.]+ KiB, so the planner cuts nothing: its plan of .* Choose a smaller SRAM`));
      holding++;
    }
    if (mcu === 'custom') {
      assert.ok(report.layer_by_layer.peak.bytes > report.board.sram, 'layer by layer does not fit the default MCU');
      assert.match(await sentence(page), /^Layer by layer needs [\d.]+ KiB, this MCU has 20 KiB; computed in \d+ patches \(\d+×\d+\) it needs [\d.]+ KiB and does [\d.]+ % more work\.$/);
    }
  }
  assert.ok(holding > 0, 'the presets that hold VWW layer by layer are said to need no patches');
  // Layer by layer chosen: the sentence says it does not fit and how to make it.
  await page.selectOption('#mcu-select', 'custom');
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.match(await sentence(page), /: it does not fit\. Choose Patches: auto/);
  assert.deepEqual(problems, []);
});

test('at 1280×720 zoomed to 150 % the sentence, the camera and both arenas are on the first screen', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), ZOOMED);
  await verdict(page);
  await page.screenshot({ path: shot('first-screen-1280x720-150.png') });
  for (const selector of ['#lesson', '#input-canvas', '#lbl-canvas', '#arena-canvas']) {
    const box = await page.locator(selector).boundingBox();
    assert.ok(box.width > 100 && box.height > 20, `${selector} ${JSON.stringify(box)}`);
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 853 && box.y + box.height <= 480, `${selector} off the first screen: ${JSON.stringify(box)}`);
  }
  assert.deepEqual(problems, []);
});

test('Space and the arrows are shortcuts only when no form control has focus', async (t) => {
  const { page, problems } = await open(t, server, []);
  assert.equal(await page.textContent('#play'), 'Pause');
  // Space on a focused checkbox ticks it (and plans), and does not pause.
  await page.focus('#inplace-pw');
  await page.keyboard.press(' ');
  await idle(page);
  assert.equal(await page.isChecked('#inplace-pw'), true);
  assert.equal((await page.evaluate(() => window.mcupatchPlan())).settings.in_place_pointwise, true);
  assert.equal(await page.textContent('#play'), 'Pause');
  // The arrows on the speed slider move the slider, not the steps.
  await page.focus('#speed');
  const speed = await page.inputValue('#speed');
  await page.keyboard.press('ArrowRight');
  assert.equal(Number(await page.inputValue('#speed')), Number(speed) + 1);
  assert.equal(await page.textContent('#play'), 'Pause');
  // With nothing focused, Space pauses and → steps.
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press(' ');
  assert.equal(await page.textContent('#play'), 'Play');
  const step = await page.textContent('#step-counter');
  await page.keyboard.press('ArrowRight');
  assert.notEqual(await page.textContent('#step-counter'), step);
  assert.deepEqual(problems, []);
});

test('reduced motion: no autoplay, the steps wait for the user while the camera answers', async (t) => {
  const browser = await launch(camera(clip('astronaut.png')));
  t.after(() => browser.close());
  const { page, problems } = await newPage(browser);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(server.url);
  await idle(page);
  assert.equal(await verdict(page), 'person');
  assert.equal(await page.textContent('#play'), 'Play');
  assert.equal(await page.isVisible('#motion-note'), true);
  const step = await page.textContent('#step-counter');
  await page.waitForTimeout(1500);
  assert.equal(await page.textContent('#step-counter'), step, 'the steps stand still');
  assert.notEqual(await page.textContent('#fps'), 'paused', 'the camera keeps answering');
  await page.click('#step-next');
  assert.notEqual(await page.textContent('#step-counter'), step, '▶ steps on demand');
  assert.deepEqual(problems, []);
});

test('the plan card does not move while playing', async (t) => {
  for (const size of [{ viewport: { width: 1280, height: 720 } }, ZOOMED]) {
    const { browser, page, problems } = await open(t, server, camera(clip('astronaut.png')), size);
    await verdict(page);
    const boxes = await page.evaluate(async () => {
      const seen = new Set();
      for (let i = 0; i < 60; i++) {
        const cards = ['section.plan', '.numbers', '#lesson', '.arenas'].map((s) => {
          const r = document.querySelector(s).getBoundingClientRect();
          return [s, r.x, r.y + window.scrollY, r.width, r.height].join(' ');
        });
        seen.add(cards.join(' | '));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return [...seen];
    });
    assert.equal(boxes.length, 1, `${size.viewport.width}: the boxes moved over 3 s of playing:\n${boxes.join('\n')}`);
    assert.equal(await page.textContent('#play'), 'Pause', 'it played');
    assert.deepEqual(problems, []);
    await browser.close();
  }
});

test('controls another setting overrides say so next to them; ratios read "N× less" or "N× more"', async (t) => {
  const { page, problems } = await open(t, server, []);
  // "several stages" ticked with layer by layer: the planner chooses patches, and Patches says so.
  await page.selectOption('#patch-select', '');
  await page.check('#multi-stage');
  await idle(page);
  const report = await page.evaluate(() => window.mcupatchPlan());
  assert.ok(report.schedule.stages.length > 0);
  assert.match(await page.textContent('#patch-override'), /^overridden: with "several stages" ticked the planner chooses patches \(\d+×\d+/);
  // "several stages" with a grid: ignored, next to it.
  await page.selectOption('#patch-select', '3x3');
  await idle(page);
  assert.match(await page.textContent('#multi-stage-override'), /^ignored: /);
  assert.equal(await page.textContent('#patch-override'), '');
  await page.uncheck('#multi-stage');
  // A split too late for the grid: the grid becomes the finest the split allows, and says so.
  await page.selectOption('#patch-select', '8x8');
  await idle(page);
  const late = await page.$$eval('#split-select option', (os) => os.at(-1).value);
  await page.selectOption('#split-select', late);
  await idle(page);
  const grid = await page.$eval('#patch-select', (s) => s.value);
  assert.notEqual(grid, '', 'the grid is kept as a grid');
  assert.notEqual(grid, '8x8');
  assert.match(await page.textContent('#patch-override'), new RegExp(`^8×8 is finer than this split's map allows: now ${grid.replace('x', '×')}$`));
  await page.selectOption('#patch-select', '1x1');
  await idle(page);
  assert.equal(await page.textContent('#patch-override'), '', 'the note goes with the next change');
  // Layer by layer ignores the camera's streaming, and says so.
  await page.selectOption('#split-select', '');
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.match(await page.textContent('#streamed-override'), /^ignored: layer by layer has no patches to stream$/);
  // The saving is a ratio above one, in the direction it goes.
  const ratios = await page.evaluate(async () => {
    const { ratioWords } = await import('./app/format.js');
    return [ratioWords(300, 100), ratioWords(100, 80), ratioWords(80, 100), ratioWords(100, 100), ratioWords(1000, 999)];
  });
  assert.deepEqual(ratios, ['3.0× less', '1.3× less', '1.3× more', 'the same', 'about the same']);
  await page.selectOption('#patch-select', 'auto');
  await idle(page);
  const auto = await page.evaluate(() => window.mcupatchPlan());
  assert.equal(await page.textContent('#saving'), `the patch plan needs ${(auto.layer_by_layer.peak.bytes / auto.patched.peak.bytes).toFixed(1)}× less`);
  assert.deepEqual(problems, []);
});

test('classroom mode: every text at least 20 px at 1920×1080, on the canvases too, camera and arenas side by side', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#classroom', viewport: { width: 1920, height: 1080 } });
  await verdict(page);
  assert.equal(await page.isChecked('#classroom-mode'), true);
  // A link with only the mode opens the first screen's plan.
  assert.ok((await page.evaluate(() => window.mcupatchPlan())).schedule.stages.length > 0);
  await page.screenshot({ path: shot('classroom-1920x1080.png') });
  await assertTextAtLeast(page, 20, 3);
  const camera_ = await page.locator('#input-canvas').boundingBox();
  const arena = await page.locator('#arena-canvas').boundingBox();
  assert.ok(arena.x > camera_.x + camera_.width && arena.y < camera_.y + camera_.height, 'side by side');
  for (const box of [camera_, arena]) assert.ok(box.y + box.height <= 1080, 'on the first screen');
  assert.equal(await page.isVisible('section.why'), false, 'the rest hidden');
  // Off again: the page as it was, the link without the flag.
  await page.uncheck('#classroom-mode');
  assert.equal(await page.isVisible('section.why'), true);
  assert.doesNotMatch(page.url(), /classroom/);
  assert.deepEqual(problems, []);
});

test('the first screen is the overview: every detail closed under its one-line question, opening on demand', async (t) => {
  const { page, problems } = await open(t, server, []);
  const details = await page.$$eval('main details.detail', (ds) => ds.map((d) => [d.id, d.open, d.querySelector('summary h2').textContent]));
  assert.deepEqual(details.map(([id]) => id), ['strip-detail', 'pyramid-detail', 'live-detail', 'blocks-detail', 'sweep-box', 'heat-box', 'map-box', 'break-box']);
  for (const [id, open, question] of details) {
    assert.equal(open, false, `${id} closed`);
    assert.match(question, /^(Which|Why|When|What) .+\?$/, `${id}: a question`);
  }
  for (const selector of ['#op-strip', '#pyramid-canvas', '#live-canvas', '#blocks-canvas', '#sweep-grids', '#heat-canvas', '#feasibility']) {
    assert.equal(await page.isVisible(selector), false, `${selector} behind its question`);
  }
  // Opened, each draws what it shows: the blocks' bars at their opened size.
  await reveal(page, 'blocks-detail');
  await page.waitForFunction(() => {
    const c = document.getElementById('blocks-canvas');
    return c.width > 100 && c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0);
  }, null, { timeout: 10000 });
  // Ticking "Break it" on its question's line opens its panel.
  await page.check('#break-it');
  assert.equal(await page.$eval('#break-box', (d) => d.open), true);
  assert.deepEqual(problems, []);
});

test('outside classroom mode no text is under 14 px, on the page or its canvases, on a phone, a laptop and a projector', async (t) => {
  const file = clip('astronaut.png');
  for (const [width, height, ratio] of [[390, 844, 3], [1280, 720, 1], [1920, 1080, 1]]) {
    const { browser, page, problems } = await open(t, server, camera(file), { viewport: { width, height }, deviceScaleFactor: ratio });
    await verdict(page);
    // Every detail opened, as a curious student would, and the glossary too.
    for (const id of await page.$$eval('main details.detail', (ds) => ds.map((d) => d.id))) await reveal(page, id);
    await page.check('#break-it');
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
    await idle(page);
    await page.waitForTimeout(1000);
    await page.screenshot({ path: shot(`text-${width}x${height}.png`), fullPage: true });
    await assertTextAtLeast(page, 14, 8);
    // Every panel open, nothing is wider than the screen.
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth), `${width}×${height}: wider than the screen`);
    assert.deepEqual(problems, []);
    await browser.close();
  }
});

test('on a phone a tap on a buffer shows its tip, on the screen, until a tap elsewhere', async (t) => {
  const { page, problems } = await open(t, server, [], { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, hasTouch: true });
  await page.tap('#play');
  await page.locator('#arena-canvas').scrollIntoViewIfNeeded();
  // A point over a live buffer, found with the canvas's own inverse scales.
  const target = await page.$eval('#arena-canvas', (c) => {
    const { width, height } = c.getBoundingClientRect();
    for (let y = height - 30; y > 10; y -= 4) {
      for (let x = 60; x < width - 10; x += 4) {
        const [step, byte] = [c.hit.step(x), c.hit.byte(y)];
        const b = c.hit.arena.buffers.find((q) => q.first <= step && step <= q.last && q.offset <= byte && byte < q.offset + q.bytes);
        if (b) return { x, y, name: b.name };
      }
    }
    return null;
  });
  assert.ok(target, 'a buffer to tap');
  await page.tap('#arena-canvas', { position: { x: target.x, y: target.y } });
  await page.waitForTimeout(300);
  assert.equal(await page.isVisible('#buffer-tip'), true, 'the tip stays after the finger lifts');
  assert.ok((await page.textContent('#buffer-tip')).startsWith(`${target.name} · `));
  const tip = await page.locator('#buffer-tip').boundingBox();
  assert.ok(tip.x >= 0 && tip.x + tip.width <= 390, `the tip on the screen: ${JSON.stringify(tip)}`);
  await page.tap('h1');
  assert.equal(await page.isVisible('#buffer-tip'), false, 'a tap elsewhere hides it');
  assert.deepEqual(problems, []);
});

test('recompute or remember: one line of two real plans at this MCU, as the CLI plans them, and the switch between them', async (t) => {
  const { page, problems } = await open(t, server, []);
  await page.waitForFunction(() => /remembering rows: /.test(document.getElementById('halo-compare').textContent), null, { timeout: 60000 });
  const flags = await page.evaluate(() => window.mcupatchFlags());
  const cli = (halo) => JSON.parse(execFileSync(CLI, ['plan', VWW, '--json', ...flags, '--halo', halo], { maxBuffer: 1 << 28 }));
  const [recompute, cache] = [cli('recompute'), cli('cache')];
  // Each plan in the page's own formatting.
  const words = (r) => page.evaluate(async (r) => {
    const { kib, percent } = await import('./app/format.js');
    return `${kib(r.patched.peak.bytes)}, ${percent(r.patched.overhead)} MACs (${r.schedule.stages.map((s) => `${s.rows}×${s.cols}`).join(' + ')})`;
  }, r);
  const line = await page.textContent('#halo-compare');
  assert.equal(line, `At this MCU, recomputing halos: ${await words(recompute)} · remembering rows: ${await words(cache)}. This plan recomputes its halos.`);
  console.log(`    ${line}`);
  assert.ok(cache.patched.overhead < recompute.patched.overhead, 'remembering rows recomputes less');
  // Switched to remembering: the plan is the CLI's with --halo cache, its stages cached.
  await page.selectOption('#halo-select', 'cache');
  await idle(page);
  const plan = await assertSamePlanAsCli(page);
  assert.deepEqual(plan.schedule.stages.map((s) => s.halo), plan.schedule.stages.map(() => 'cache'));
  assert.match(page.url(), /halo=cache/);
  await page.waitForFunction(() => /This plan remembers rows\.$/.test(document.getElementById('halo-compare').textContent), null, { timeout: 60000 });
  // Layer by layer has no halos, and the switch says so.
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.equal(await page.textContent('#halo-override'), 'ignored: layer by layer has no halos');
  assert.equal(await page.textContent('#halo-compare'), '');
  assert.deepEqual(problems, []);
});
