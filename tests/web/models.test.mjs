// Models and dropped files: the MobileNetV2 feasibility map, a dropped photo told from a model
// by its bytes, a dropped non-image model, broken and unsupported .tflite files and the error
// banner, and the downloads.
// Run alone: `node --test tests/web/models.test.mjs`; a subset of any file:
// `node --test --test-name-pattern='REGEX' tests/web/*.test.mjs` (Makefile: test-page).
import { after, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, CLI, camera, clip, open, idle, scratchPath, shot, serveWww } from './harness.mjs';
import { verdict, banner, modelVerdict, reveal } from './checks.mjs';
import { RPS, drop, modelFiles } from './model-files.mjs';

const server = await serveWww();
after(() => server.close());

test('the feasibility map: which MobileNetV2 sizes fit the MCU, and a click loads one', async (t) => {
  const { page, problems } = await open(t, server, []);
  // Planned only once its panel opens: nobody pays for it on the first screen.
  await page.waitForTimeout(1000);
  assert.equal(await page.evaluate(() => window.mcupatchMap()), null);
  await reveal(page, 'map-box');
  await page.waitForFunction(() => window.mcupatchMap(), null, { timeout: 120000 });
  const map = await page.evaluate(() => window.mcupatchMap());
  assert.equal(await page.$eval('#map-mcu', (s) => s.value), 'stm32h743');
  const cells = await page.$$eval('#feasibility .cell', (bs) => bs.map((b) => b.dataset.fit));
  assert.equal(cells.length, map.cells.length);
  assert.deepEqual(cells, map.cells.map((c) => (c.fits_layer_by_layer ? 'lbl' : c.fits_patched ? 'patch' : 'none')));
  assert.ok(cells.includes('lbl') && cells.includes('patch'), `${cells}`);
  // A size that fits only with patches, loaded: the page plans it on that MCU, and it fits.
  const index = cells.indexOf('patch');
  const { width, resolution } = map.cells[index];
  await page.locator('#feasibility .cell').nth(index).click();
  await idle(page);
  const plan = await page.evaluate(() => window.mcupatchPlan());
  assert.equal(await page.$eval('#model-select', (s) => s.value), `mbv2@${width}x${resolution}`);
  assert.deepEqual([plan.board.mcu.name, plan.board.fits_sram], ['stm32h743', true]);
  assert.ok(plan.schedule.stages.length > 0 && plan.layer_by_layer.peak.bytes > plan.board.sram);
  assert.deepEqual(plan.input.shape, [1, resolution, resolution, 3]);
  assert.equal(plan.layer_by_layer.peak.bytes, map.cells[index].layer_by_layer_peak, 'the cell\'s layer-by-layer peak');
  assert.match(page.url(), new RegExp(`model=mbv2%40${width}x${resolution}`));
  // A 1 MB Flash board fits no size: the map says why instead of showing nothing.
  await page.selectOption('#map-mcu', 'stm32f412');
  await page.waitForFunction(() => window.mcupatchMap()?.flash === 1024 * 1024, null, { timeout: 120000 });
  // Each grey cell says what is short: here the Flash, for every size (and the SRAM for some).
  for (const words of await page.$$eval('#feasibility .cell b', (bs) => bs.map((b) => b.textContent))) assert.match(words, /^no: (SRAM \+ )?Flash$/);
  assert.match(await page.textContent('#map-explain'), /exceed this board's 1024 KiB of Flash/);
  assert.deepEqual(problems, []);
});

test('a dropped photo, even a huge one, is told from a model by its bytes and classified', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('coffee.png')));
  assert.equal(await verdict(page), 'non person');
  // The astronaut drawn onto a 4096×3072 canvas, dropped on the page as a PNG file.
  await page.evaluate(async () => {
    const img = new Image();
    img.src = 'assets/astronaut.png';
    await img.decode();
    const canvas = new OffscreenCanvas(4096, 3072);
    canvas.getContext('2d').drawImage(img, 512, 0, 3072, 3072);
    const file = new File([await canvas.convertToBlob({ type: 'image/png' })], 'huge.bin');
    const drop = new DragEvent('drop', { dataTransfer: new DataTransfer(), bubbles: true, cancelable: true });
    drop.dataTransfer.items.add(file);
    document.body.dispatchEvent(drop);
  });
  await page.waitForFunction(() => document.getElementById('verdict').textContent === 'person', null, { timeout: 20000 });
  assert.match(await page.textContent('#frame-info'), /^frame 4096×3072$/);
  assert.match(await page.textContent('#camera-message'), /your photo huge\.bin/);
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
  assert.deepEqual(problems, []);
});

test('a dropped keyword-spotting model: no camera inference and why, its name in the selector, no verdict', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
  assert.equal(await verdict(page), 'person');
  await drop(page, 'keyword_spotting.tflite', readFileSync(join(ROOT, 'models/mltk/keyword_spotting.tflite')));
  await page.waitForFunction(() => document.getElementById('model-select').value.startsWith('file:'), null, { timeout: 30000 });
  await idle(page);
  await page.waitForTimeout(1500); // frames from the camera go on: none may bring a verdict back
  const selected = await page.$eval('#model-select', (s) => s.selectedOptions[0].textContent);
  const [shown, spoken, probability] = await Promise.all(['#verdict', '#verdict-live', '#probability'].map((s) => page.textContent(s)));
  console.log(`    selector "${selected}", verdict "${shown}", announced "${spoken}", "${probability}"`);
  assert.match(selected, /keyword_spotting\.tflite/);
  assert.match(probability, /no camera inference: its input \(1×50×10×1 float32\) is not a camera picture; run it with mcupatch run --input-raw/);
  assert.ok(!/person/.test(shown) && !/person/.test(spoken), `verdict "${shown}", announced "${spoken}"`);
  assert.equal(await banner(page), '');
  assert.deepEqual(problems, []);
});

test('a broken .tflite shows the error banner and the page keeps working', async (t) => {
  const { page, problems } = await open(t, server, []);
  await page.waitForSelector('#camera-message:not([hidden])');
  const broken = scratchPath('broken.tflite');
  writeFileSync(broken, 'this is not a flatbuffer at all');
  await page.setInputFiles('#model-file', broken);
  await page.waitForSelector('#error-banner:not([hidden])');
  assert.match(await page.textContent('#error-banner'), /^Cannot use broken\.tflite \(your file\): not a valid TFLite model — .*; drop a TensorFlow Lite model \(\.tflite\) or a photo\.$/);
  await page.screenshot({ path: shot('error-banner.png') });
  assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
  await page.selectOption('#patch-select', '3x3');
  await idle(page);
  assert.equal((await page.evaluate(() => window.mcupatchPlan())).schedule.stages[0].rows, 3);
  assert.deepEqual(problems, []);
});

test('every bad model dropped gets one sentence with the fix, and the banner clears on the next good one', async (t) => {
  const { page, problems } = await open(t, server, camera(clip('astronaut.png')));
  const files = modelFiles();
  const expected = {
    'cut_short.tflite': /the file is cut short: it has 12480 bytes.*drop it again\.$/,
    'random.tflite': /missing the TFL3 file identifier; drop a TensorFlow Lite model/,
    'int16.tflite': /unsupported dtype int16; the engine runs int8 models: convert it with full-integer int8 quantization/,
    'float.tflite': /is float32, only int8 is supported; the engine runs int8 models/,
  };
  for (const [name, sentence] of Object.entries(expected)) {
    await drop(page, name, files[name]);
    await page.waitForFunction((name) => document.getElementById('error-banner').textContent.includes(name), name, { timeout: 30000 });
    const text = await banner(page);
    console.log(`    ${text}`);
    assert.match(text, new RegExp(`^Cannot use ${name.replace('.', '\\.')} \\(your file\\): `));
    assert.match(text, sentence);
    // One sentence: one full stop, at the end (numbers and file names aside).
    assert.equal(text.replace(/\d\.\d|\.tflite|\(\.tflite\)/g, '').split(/\.(?:\s|$)/).length - 1, 1, text);
    assert.equal(await page.$eval('#model-select', (s) => s.value), 'vww');
  }
  await page.screenshot({ path: shot('bad-drop-banner.png') });
  await drop(page, 'rps.tflite', readFileSync(RPS));
  await page.waitForFunction(() => document.getElementById('model-select').value === 'file:rps.tflite', null, { timeout: 30000 });
  await idle(page);
  assert.equal(await banner(page), '');
  assert.ok((await page.evaluate(() => window.mcupatchModel())).labels.includes(await modelVerdict(page)));
  assert.deepEqual(problems, []);
});

test('downloads: the plan is `mcupatch plan --json` byte for byte, the report names the plan and its command', async (t) => {
  const { page, problems } = await open(t, server, [], { hash: '#model=rps&mcu=stm32f411&patch=2x2&in-place-depthwise' });
  const command = (await page.textContent('#cli-command')).trim();
  assert.equal(command, 'mcupatch plan models/mltk/rock_paper_scissors.tflite --mcu stm32f411 --patch 2x2 --in-place-depthwise');
  const saved = async (button) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
    return [download.suggestedFilename(), readFileSync(await download.path(), 'utf8')];
  };
  // Copy: to the clipboard, or (where the browser refuses it) selected for Ctrl+C.
  await page.click('#copy-cli');
  const copied = await page.textContent('#copy-cli');
  assert.ok(copied === 'Copied' || (copied === 'Selected: press Ctrl+C' && await page.evaluate(() => getSelection().toString().trim()) === command), copied);
  const [name, json] = await saved('#download-plan');
  assert.equal(name, 'rock_paper_scissors-plan.json');
  const [, model, ...flags] = command.split(' ').slice(1);
  const cli = execFileSync(CLI, ['plan', join(ROOT, model), ...flags, '--json'], { maxBuffer: 1 << 28, encoding: 'utf8' });
  assert.ok(json === cli, `the download differs from mcupatch plan --json (${json.length} vs ${cli.length} bytes)`);
  // Layer by layer is `inspect` (`plan` without --patch would search).
  await page.selectOption('#patch-select', '');
  await idle(page);
  assert.match(await page.textContent('#cli-command'), /^mcupatch inspect models\/mltk\/rock_paper_scissors\.tflite --mcu stm32f411 --in-place-depthwise$/);
  const [, layerByLayer] = await saved('#download-plan');
  assert.ok(layerByLayer === execFileSync(CLI, ['inspect', RPS, '--mcu', 'stm32f411', '--in-place-depthwise', '--json'], { maxBuffer: 1 << 28, encoding: 'utf8' }));
  const [reportName, report] = await saved('#download-report');
  assert.equal(reportName, 'rock_paper_scissors-report.txt');
  const plan = await page.evaluate(() => window.mcupatchPlan());
  assert.match(report, /^mcupatch plan of Rock, paper, scissors/);
  assert.ok(report.includes(`peak SRAM: ${plan.patched.peak.bytes} B`), report);
  assert.ok(report.includes('reproduce: mcupatch inspect models/mltk/rock_paper_scissors.tflite --mcu stm32f411 --in-place-depthwise'), report);
  // For TFLite Micro: the model `mcupatch export` writes for the same flags, byte for byte,
  // and the arena it needs said beside the button.
  await page.selectOption('#patch-select', '2x2');
  await idle(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-tflm')]);
  assert.equal(download.suggestedFilename(), 'rock_paper_scissors-tflm.tflite');
  const exported = scratchPath('rps-tflm.tflite');
  const exportArgs = [RPS, exported, '--mcu', 'stm32f411', '--patch', '2x2', '--in-place-depthwise', '--json'];
  const exportReport = JSON.parse(execFileSync(CLI, ['export', ...exportArgs], { encoding: 'utf8' }));
  assert.ok(readFileSync(await download.path()).equals(readFileSync(exported)), 'the page exports what the CLI does');
  await page.waitForFunction(() => document.getElementById('tflm-arena').textContent.includes('TFLite Micro needs'));
  assert.ok((await page.textContent('#tflm-arena')).includes(`an arena of ${exportReport.arena.total_bytes.toLocaleString('en')} B`));
  assert.deepEqual(problems, []);
});
