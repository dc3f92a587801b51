// Links: the settings in a page's hash reproduce its plan in another tab and after a reload.
// Run alone: `node --test tests/web/links.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { open, idle, serveWww } from './harness.mjs';
import { difference } from './checks.mjs';

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
