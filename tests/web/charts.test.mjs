// The drawings, read back from their pixels: the grid and split sweep, the recompute heat,
// both arenas on one address scale, the halo pyramid, the stages' grids and heat tint over the
// camera image.
// Run alone: `node --test tests/web/charts.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { camera, clip, open, idle, scratchPath, shot, serveWww } from './harness.mjs';
import { verdict, explained, canvasPixel, hex, reveal } from './checks.mjs';

const server = await serveWww();
after(() => server.close());

test('the grid sweep charts every grid and every split; the current one is marked, a click plans another', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
  await reveal(page, 'sweep-box');
  const { sweep } = await explained(page);
  await page.waitForTimeout(300);
  const plan = await page.evaluate(() => window.mcupatchPlan());
  assert.equal(sweep.split, plan.schedule.stages[0].split.index);
  // Each bar's centre, at a height clear of the recompute line and the SRAM line drawn over it.
  const bars = await page.$eval('#sweep-grids', (c, sram) => c.bars.items.map((i, k) => {
    const over = [c.bars.yPct(i.c.overhead * 100), c.bars.y(sram)];
    const y = [0.5, 0.25, 0.75, 0.1].map((f) => c.bars.y(i.c.peak_bytes * f)).find((v) => over.every((o) => Math.abs(v - o) > 6));
    return { label: i.label, current: i.current, peak: i.c.peak_bytes, inStage: Boolean(i.c.peak_patch), x: c.bars.x(k), y };
  }), 20 * 1024);
  // Every square grid the engine planned at this split, each bar the engine's peak.
  const squares = sweep.grids.filter((c) => c.schedule.stages[0].rows === c.schedule.stages[0].cols);
  assert.deepEqual(bars.map((b) => b.peak), squares.map((c) => c.peak_bytes));
  assert.deepEqual(bars.filter((b) => b.current).map((b) => b.label), ['3×3']);
  assert.equal(bars.find((b) => b.current).peak, plan.patched.peak.bytes);
  // What is drawn: each bar's colour says where its peak falls (orange inside the stage,
  // blue after the split); the words name the grid from which finer ones stop helping.
  const colours = await page.evaluate(() => ['--tile', '--activation'].map((v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim()));
  for (const b of bars) {
    const pixel = await canvasPixel(page, '#sweep-grids', b.x, b.y);
    assert.equal(hex(pixel), b.inStage ? colours[0] : colours[1], `bar ${b.label}`);
  }
  const words = await page.textContent('#sweep-explain');
  const after = squares.find((c) => !c.peak_patch);
  assert.ok(after, 'at 20 KiB a fine grid puts the peak after the split');
  assert.match(words, new RegExp(`From ${after.schedule.stages[0].rows}×${after.schedule.stages[0].rows} on the peak sits at op ${after.peak_op} `));
  // Every split at this grid: the current split marked.
  const splitBars = await page.$eval('#sweep-splits', (c) => c.bars.items.filter((i) => i.current).map((i) => i.c.schedule.stages[0].split.index));
  assert.deepEqual(splitBars, [sweep.split]);
  // A click on the 5×5 bar plans 5×5 at the same split.
  const five = bars.find((b) => b.label === '5×5');
  await page.click('#sweep-grids', { position: { x: five.x, y: five.y } });
  await idle(page);
  const replanned = await page.evaluate(() => window.mcupatchPlan());
  assert.deepEqual([replanned.schedule.stages[0].rows, replanned.schedule.stages[0].cols], [5, 5]);
  assert.equal(replanned.schedule.stages[0].split.index, sweep.split);
  await page.locator('section.why').screenshot({ path: shot('why.png') });
  // Layer by layer has nothing to sweep, and says so.
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.match(await page.textContent('#sweep-explain'), /Choose a grid/);
  assert.deepEqual(problems, []);
});

test('the recompute heat sums to the plan\'s extra MACs shown on the page', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
  await reveal(page, 'heat-box');
  const { heat } = await explained(page);
  await page.waitForTimeout(300);
  const plan = await page.evaluate(() => window.mcupatchPlan());
  // The counts themselves, summed here: Σ count × MACs per pixel, less each map computed once.
  const sum = heat.layers.reduce((s, l) => s + l.counts.reduce((a, c) => a + c, 0) * l.macs_per_pixel, 0);
  const once = heat.layers.reduce((s, l) => s + l.height * l.width * l.macs_per_pixel, 0);
  const extra = plan.patched.macs - plan.layer_by_layer.macs;
  assert.ok(extra > 0);
  assert.equal(sum - once, extra);
  const words = await page.textContent('#heat-sum');
  assert.match(words, new RegExp(`= ${extra.toLocaleString('en')} MACs `));
  // The same percentage as the plan's "recomputed" figure.
  const pct = /= \+([\d.]+) %/.exec(words)[1];
  assert.equal(await page.textContent('#overhead'), `+${pct} %`);
  // What is drawn: the input map's pixels read once are dark, the most-read bright.
  const layout = await page.$eval('#heat-canvas', (c) => c.layout);
  const input = heat.inputs[0];
  const map = layout.maps.find((m) => m.input);
  const at = (i) => [map.x0 + ((i % input.width) + 0.5) * layout.scale, map.top + (Math.floor(i / input.width) + 0.5) * layout.scale];
  // Pixels inside a run of equal counts (their neighbours alike), clear of any edge.
  const inside = (count) => input.counts.findIndex((c, i) => c === count && [1, -1, input.width, -input.width].every((d) => input.counts[i + d] === count));
  const [once1, most] = [inside(1), inside(input.max)];
  assert.ok(input.max > 1 && once1 >= 0);
  const [dark, bright] = [await canvasPixel(page, '#heat-canvas', ...at(once1)), await canvasPixel(page, '#heat-canvas', ...at(most))];
  assert.ok(bright[0] + bright[1] > dark[0] + dark[1] + 100, `read once ${dark}, ${input.max}× ${bright}`);
  assert.deepEqual(problems, []);
});

test('both arenas share one address scale: the same bytes at the same height, the peaks in the plan\'s ratio', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
  const plan = await page.evaluate(() => window.mcupatchPlan());
  await page.waitForTimeout(300);
  // Per canvas, read from its pixels: the row of the red SRAM line and of the yellow dashed
  // peak line (each the mean of the rows holding most of its colour), and the zero of its
  // address axis (where its hover scale reads 0 B).
  const lines = (selector) => page.$eval(selector, (c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const row = (is) => {
      const counts = [];
      for (let y = 0; y < c.height; y++) {
        let n = 0;
        for (let x = 0; x < c.width; x++) if (is(d[(y * c.width + x) * 4], d[(y * c.width + x) * 4 + 1], d[(y * c.width + x) * 4 + 2])) n++;
        counts.push(n);
      }
      const most = Math.max(...counts);
      const rows = counts.map((n, y) => [n, y]).filter(([n]) => n >= most / 2);
      return rows.reduce((s, [n, y]) => s + n * (y + 0.5), 0) / rows.reduce((s, [n]) => s + n, 0);
    };
    const red = row((r, g, b) => r > 90 && r > 2.1 * g && r > 2.1 * b);
    const yellow = row((r, g, b) => r > 120 && g > 0.75 * r && b < 0.6 * r);
    const zero = c.hit.byte(0) / (c.hit.byte(0) - c.hit.byte(1));
    return { red, yellow, zero, height: c.height, bytesPerPixel: c.hit.byte(0) - c.hit.byte(1) };
  });
  const [lbl, patched] = [await lines('#lbl-canvas'), await lines('#arena-canvas')];
  const [lblPeak, patchedPeak] = [plan.layer_by_layer.peak.bytes, plan.patched.peak.bytes];
  console.log(`    peaks ${lblPeak} B and ${patchedPeak} B, SRAM ${plan.board.sram} B; layer by layer ${JSON.stringify(lbl)}; patches ${JSON.stringify(patched)}`);
  assert.ok(lblPeak > 2 * patchedPeak);
  // One scale: the same bytes per pixel, the same zero, the SRAM's red line on the same row.
  assert.equal(lbl.height, patched.height);
  assert.ok(Math.abs(lbl.bytesPerPixel - patched.bytesPerPixel) < 1e-6, 'bytes per pixel');
  assert.ok(Math.abs(lbl.zero - patched.zero) < 0.01, 'the zero of the axis');
  assert.ok(Math.abs(lbl.red - patched.red) <= 1, `SRAM line at ${lbl.red} and ${patched.red}`);
  // The drawn peaks stand in the ratio of the plan's peaks, each at its bytes on that scale.
  const [lblHeight, patchedHeight] = [lbl.zero - lbl.yellow, patched.zero - patched.yellow];
  const ratio = lblHeight / patchedHeight;
  console.log(`    drawn peak heights ${lblHeight.toFixed(1)} px and ${patchedHeight.toFixed(1)} px: ratio ${ratio.toFixed(3)}, the plan's ${(lblPeak / patchedPeak).toFixed(3)}`);
  assert.ok(Math.abs(ratio - lblPeak / patchedPeak) < 0.05 * (lblPeak / patchedPeak), `ratio ${ratio}`);
  for (const [height, bytes] of [[lblHeight, lblPeak], [patchedHeight, patchedPeak], [lbl.zero - lbl.red, plan.board.sram]]) {
    assert.ok(Math.abs(height - bytes / lbl.bytesPerPixel) <= 1.5, `${bytes} B drawn ${height.toFixed(1)} px high`);
  }
  assert.deepEqual(problems, []);
});

test('the halo pyramid draws the current patch\'s regions of the plan, read back from its pixels', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=vww&patch=3x3&streamed-input&in-place-depthwise' });
  const plan = await page.evaluate(() => window.mcupatchPlan());
  await reveal(page, 'pyramid-detail');
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press(' ');
  // The middle patch (index 4 of 3×3): its halo stops short of every edge.
  let step;
  for (let i = 0; i <= plan.patched.steps.length; i++) {
    const n = Number(/^step (\d+)/.exec(await page.textContent('#step-counter'))[1]) - 1;
    step = plan.patched.steps[n];
    if (step.patch?.stage === 0 && step.patch.index === 4) break;
    await page.keyboard.press('ArrowRight');
  }
  assert.equal(step.patch.index, 4);
  await page.waitForTimeout(300);
  const want = [
    { label: 'input', region: plan.patches.find((p) => p.stage === 0 && p.index === 4).input },
    ...plan.patched.steps.filter((s) => s.patch?.stage === 0 && s.patch.index === 4 && s.region).map((s) => ({ label: `op ${s.op_index}`, region: s.region })),
  ];
  // Each feature-map pixel of each map, read from the canvas: orange inside the plan's
  // region, background outside (the map's outline ring and the tile's green outline left out).
  const drawn = await page.$eval('#pyramid-canvas', (c, want) => {
    const ratio = c.width / c.getBoundingClientRect().width;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const { scale, maps } = c.layout;
    return maps.map((m, k) => {
      const r = want[k].region;
      const wrong = [];
      let [inside, outside] = [0, 0];
      for (let j = 1; j < m.h - 1; j++) {
        for (let i = 1; i < m.w - 1; i++) {
          if (m.tile && ([m.tile.x0, m.tile.x1].some((e) => Math.abs(i + 0.5 - e) < 1) || [m.tile.y0, m.tile.y1].some((e) => Math.abs(j + 0.5 - e) < 1))) continue;
          const at = (Math.floor((m.top + (j + 0.5) * scale) * ratio) * c.width + Math.floor((m.x0 + (i + 0.5) * scale) * ratio)) * 4;
          const [red, , blue] = [d[at], d[at + 1], d[at + 2]];
          const inRegion = r.x0 <= i && i < r.x1 && r.y0 <= j && j < r.y1;
          if (inRegion ? red - blue > 50 : red < 40) inRegion ? inside++ : outside++;
          else wrong.push([i, j, red, blue]);
        }
      }
      return { label: m.label, inside, outside, wrong: wrong.slice(0, 4) };
    });
  }, want);
  assert.deepEqual(drawn.map((m) => m.label), want.map((m) => m.label));
  for (const m of drawn) {
    assert.deepEqual(m.wrong, [], `${m.label}: pixels drawn against the plan's region (x, y, red, blue)`);
    assert.ok(m.inside > 0 && m.outside > 0, `${m.label}: ${m.inside} pixels inside, ${m.outside} outside`);
  }
  console.log(`    patch 5 of 3×3, ${drawn.length} maps drawn as the plan's regions (${drawn.reduce((s, m) => s + m.inside + m.outside, 0)} pixels checked): ${want.map((m) => `${m.label} ${m.region.y1 - m.region.y0}×${m.region.x1 - m.region.x0}`).join(', ')}`);
  assert.deepEqual(problems, []);
});

test('a multi-stage plan draws every stage\'s grid on the camera image, later ones dashed; the heat tints it', async (t) => {
  // A black clip (limited-range Y = 16): every white pixel on the camera view is drawing.
  const black = scratchPath('black.y4m');
  const frame = Buffer.concat([Buffer.alloc(64 * 64, 16), Buffer.alloc(64 * 32, 128)]);
  writeFileSync(black, Buffer.concat([Buffer.from('YUV4MPEG2 W64 H64 F30:1 Ip A1:1 C420jpeg\n'), ...Array(5).fill([Buffer.from('FRAME\n'), frame]).flat()]));
  const { page, problems } = await open(t, server, camera(black), { hash: '#model=vww&sram=13600&patch=auto&multi-stage&streamed-input&in-place-depthwise&in-place-pointwise&in-place-add' });
  await verdict(page);
  const plan = await page.evaluate(() => window.mcupatchPlan());
  assert.ok(plan.schedule.stages.length >= 2, 'several stages');
  await page.keyboard.press(' ');
  // Pixels of a grey level (± 12) on the camera view, in CSS pixels.
  const greyPixels = (lo, hi = 255) => page.$eval('#input-canvas', (c, [lo, hi]) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const at = [];
    for (let i = 0; i < d.length; i += 4) {
      const grey = Math.abs(d[i] - d[i + 1]) < 12 && Math.abs(d[i + 1] - d[i + 2]) < 12;
      if (grey && d[i] >= lo && d[i] <= hi) at.push([(i / 4) % c.width, Math.floor(i / 4 / c.width)].map((v) => v / (c.width / c.getBoundingClientRect().width)));
    }
    return at;
  }, [lo, hi]);
  const whitePixels = () => greyPixels(240);
  // Steps forward until the current step is in `stage` (0 or 1).
  const stepInto = async (stage) => {
    for (let i = 0; i <= plan.patched.steps.length; i++) {
      const n = Number(/^step (\d+)/.exec(await page.textContent('#step-counter'))[1]) - 1;
      if (plan.patched.steps[n].patch?.stage === stage) return plan.patched.steps[n];
      await page.keyboard.press('ArrowRight');
    }
    throw new Error(`no step in stage ${stage}`);
  };
  await stepInto(0);
  await page.waitForTimeout(200);
  // A first-stage step: its faint grid (white at 35 %, grey where it crosses pixels) and no
  // white (the first stage's current patch is green and orange, the second stage green).
  assert.ok((await greyPixels(20, 200)).length > 300, 'the first stage\'s grid');
  assert.deepEqual(await whitePixels(), []);
  // Step into the second stage: its current tile is outlined in white, on its own edges.
  const step = await stepInto(1);
  await page.waitForTimeout(200);
  const tile = plan.patches.find((p) => p.stage === 1 && p.index === step.patch.index).tile;
  const k = 320 / plan.schedule.stages[1].split.shape[1];
  const white = await whitePixels();
  assert.ok(white.length > 20, `${white.length} white pixels`);
  const onEdge = ([x, y]) => [tile.x0, tile.x1].some((e) => Math.abs(x - e * k) <= 2) || [tile.y0, tile.y1].some((e) => Math.abs(y - e * k) <= 2);
  assert.deepEqual(white.filter((p) => !onEdge(p)), [], 'white only on the current second-stage tile');
  await page.locator('section.camera .view').screenshot({ path: shot('two-stages.png') });
  // The heat tint over the (black) picture: a pixel read by the most patches is tinted,
  // one read once is not.
  const { heat } = await explained(page);
  const input = heat.inputs[0];
  await page.check('#heat-overlay');
  await page.waitForTimeout(300);
  const inside = (count) => input.counts.findIndex((c, i) => c === count && [1, -1, input.width, -input.width].every((d) => input.counts[i + d] === count));
  const centre = (i) => [((i % input.width) + 0.5) * (320 / input.width), (Math.floor(i / input.width) + 0.5) * (320 / input.height)];
  const [most, once] = [inside(input.max), inside(1)];
  assert.ok(input.max > 1 && most >= 0 && once >= 0);
  const [tinted, clear] = [await canvasPixel(page, '#input-canvas', ...centre(most)), await canvasPixel(page, '#input-canvas', ...centre(once))];
  // Tinted yellow (red well above blue); read once stays grey (black, or under the second
  // stage's white halo).
  assert.ok(tinted[0] - tinted[2] > 60, `read ${input.max}×: ${tinted}`);
  assert.ok(Math.abs(clear[0] - clear[2]) < 12, `read once: ${clear}`);
  assert.deepEqual(problems, []);
});
