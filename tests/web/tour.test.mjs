// The guided tour: each step plans its settings, and its link reopens the same step.
// Run alone: `node --test tests/web/tour.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { open, idle, serveWww } from './harness.mjs';
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
