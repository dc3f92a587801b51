// The keyboard: keys during loading, Space to pause, the arrows through every patch, [ and ]
// for coarser and finer grids.
// Run alone: `node --test tests/web/keyboard.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { camera, clip, open, idle, shot, serveWww } from './harness.mjs';
import { verdict } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('keys pressed while the model loads do no harm, and Space then pauses', async (t) => {
  // A student presses keys while the page is still loading: the handlers are bound before
  // any model is there.
  let pressed = 0;
  const { page, problems } = await open(t, server, [], {
    whileLoading: async (page) => {
      while (!(await page.evaluate(() => Boolean(window.mcupatchIdle?.())))) {
        for (const key of [' ', 'ArrowRight', 'ArrowLeft']) await page.keyboard.press(key);
        pressed++;
      }
    },
  });
  assert.ok(pressed > 0, 'keys pressed before the model loaded');
  await page.keyboard.press(' ');
  const playing = (await page.textContent('#play')) === 'Pause';
  assert.equal((await page.textContent('#fps')) === 'paused', !playing, 'the fps readout follows Space at once');
  assert.deepEqual(problems, []);
});

test('step mode and the keyboard walk through every patch of the grid', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
  await verdict(page);
  await page.keyboard.press(' ');
  assert.equal(await page.textContent('#fps'), 'paused');
  const seen = new Set();
  let total = 0;
  for (let i = 0; i < 200 && (total === 0 || seen.size < total); i++) {
    await page.keyboard.press('ArrowRight');
    const m = /^patch (\d+) \/ (\d+)/.exec(await page.textContent('#patch-counter'));
    if (m) {
      seen.add(Number(m[1]));
      total = Number(m[2]);
    }
    if (i === 12) await page.screenshot({ path: shot('step-mode.png') });
  }
  assert.equal(total, 9, 'a 3×3 grid');
  assert.deepEqual([...seen].sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const step = await page.textContent('#step-counter');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((before) => document.getElementById('step-counter').textContent !== before, step);
  await page.keyboard.press(']');
  await idle(page);
  assert.deepEqual((await page.evaluate(() => window.mcupatchPlan())).settings.patch, ['4x4']);
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  await idle(page);
  assert.deepEqual((await page.evaluate(() => window.mcupatchPlan())).settings.patch, ['2x2']);
  await page.locator('section.arena').screenshot({ path: shot('arena.png') });
  assert.deepEqual(problems, []);
});
