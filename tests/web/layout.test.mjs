// The layout on a phone, a laptop and a projector (screenshots/page-WxH.png).
// Run alone: `node --test tests/web/layout.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { camera, clip, open, shot, serveWww } from './harness.mjs';
import { verdict } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('the page fits a phone, a laptop and a projector (screenshots/page-WxH.png)', async (t) => {
  const file = clip('astronaut.png');
  for (const [width, height, ratio] of [[390, 844, 3], [1366, 900, 1], [1920, 1080, 1]]) {
    const { browser, page } = await open(t, server, camera(file), { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise', viewport: { width, height }, deviceScaleFactor: ratio });
    await verdict(page);
    await page.keyboard.press(' ');
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(300);
    await page.screenshot({ path: shot(`page-${width}x${height}.png`), fullPage: true });
    const wider = await page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1).map((e) => e.id || e.tagName));
    assert.deepEqual(wider, [], `${width}×${height}: wider than the screen`);
    // Canvases are drawn at the display's pixel ratio: sharp on a phone and a projector.
    const canvas = await page.$eval('#arena-canvas', (c) => [c.width, c.getBoundingClientRect().width]);
    assert.ok(Math.abs(canvas[0] - canvas[1] * ratio) <= 1, `arena canvas ${canvas}`);
    await browser.close();
  }
});
