// The guided tour: each step plans its settings, its link reopens the same step, its box sits
// beside its subject (screenshots/tour-WxH-N.png) and its words carry its plan's figures.
// Run alone: `node --test tests/web/tour.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { open, idle, shot, serveWww } from './harness.mjs';
import { difference } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('the guided tour plans each step and its link reopens the same step', async (t) => {
  const { browser, page, problems } = await open(t, server, []);
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
});

test('every tour step shows its subject whole, its box beside it, and says its plan\'s figures', async (t) => {
  for (const [width, height, ratio] of [[1280, 720, 1], [853, 480, 1.5], [1920, 1080, 1]]) {
    const { browser, page, problems } = await open(t, server, [], { viewport: { width, height }, deviceScaleFactor: ratio });
    await page.click('#tour-button');
    for (let step = 1; ; step++) {
      await idle(page);
      await page.waitForFunction(() => document.getElementById('tour-text').textContent !== '');
      // The page presents a subject again in the frame after it grows (a panel filling in).
      await page.waitForFunction(() => {
        const s = document.querySelector('.tour-focus').getBoundingClientRect();
        const b = document.getElementById('tour').getBoundingClientRect();
        return s.bottom <= innerHeight + 0.5 || s.height + b.height + 24 > innerHeight;
      // (Up to 10 s: a loaded machine fills the break-it panel late.)
      }, null, { timeout: 10000 }).catch(() => {});
      const title = await page.textContent('#tour-title');
      const [subject, box] = await page.evaluate(() => [
        document.querySelector('.tour-focus').getBoundingClientRect().toJSON(),
        document.getElementById('tour').getBoundingClientRect().toJSON(),
      ]);
      const where = `${width}×${height} step ${step} "${title}": subject ${JSON.stringify(subject)}, box ${JSON.stringify(box)}`;
      const apart = box.right <= subject.left || box.left >= subject.right || box.bottom <= subject.top || box.top >= subject.bottom;
      assert.ok(apart, `the box covers its subject: ${where}`);
      assert.ok(box.top >= 0 && box.bottom <= height, `the box is off the screen: ${where}`);
      // The subject starts on the screen, and one that fits the screen beside the box is wholly on it.
      assert.ok(subject.top >= 0 && subject.top < height - 40, `the subject is off the screen: ${where}`);
      if (subject.height + box.height + 24 <= height) assert.ok(subject.bottom <= height + 0.5, `the subject is cut: ${where}`);
      await page.screenshot({ path: shot(`tour-${width}x${height}-${step}.png`) });
      // The words carry the figures of the step's plan.
      const [words, report, kib, percent] = await page.evaluate(async () => {
        const format = await import('./app/format.js');
        const r = window.mcupatchPlan();
        return [document.getElementById('tour-text').textContent, r, [r.layer_by_layer.peak.bytes, r.patched.peak.bytes, r.board.sram].map(format.kib), format.percent(r.patched.overhead)];
      });
      if (step === 2) assert.ok(words.includes(kib[0]) && words.includes(kib[2]), `${words} (${kib})`);
      if ([3, 5, 6].includes(step)) assert.ok(words.includes(kib[1]), `${words} (${kib})`);
      if ([4, 6].includes(step)) assert.ok(words.includes(percent), `${words} (${percent})`);
      if (step === 5) assert.ok(words.includes(report.patched.peak.op_name), words);
      if (await page.isDisabled('#tour-next')) break;
      await page.click('#tour-next');
    }
    assert.deepEqual(problems, []);
    await browser.close();
  }
});
