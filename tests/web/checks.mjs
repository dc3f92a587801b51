// What the page tests read from the page, and compare with the CLI on the same bytes and
// settings (`mcupatch run` / `plan` / `inspect --json`).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { CLI, VWW, anyVerdict, scratchPath } from './harness.mjs';

/// The verdict once it is stable, not a first guess.
export async function verdict(page) {
  await anyVerdict(page);
  await page.waitForTimeout(1500); // a few more frames: the verdict must be stable, not a first guess
  return page.textContent('#verdict');
}

/// The verdict once it is stable, for any classifier: one of the model's own class names.
export async function modelVerdict(page) {
  await page.waitForFunction(() => window.mcupatchModel()?.labels.includes(document.getElementById('verdict').textContent), null, { timeout: 30000 });
  await page.waitForTimeout(1500); // a few more frames: the verdict must be stable, not a first guess
  return page.textContent('#verdict');
}

/// The page's last frame, exactly as the engine saw it, through the CLI: the same int8
/// output and label, with the schedule the page ran.
export async function assertSameRunAsCli(page, model = VWW) {
  const [frame, settings, plan] = await page.evaluate(() => [window.mcupatchLastFrame(), window.mcupatchFlags(), window.mcupatchPlan()]);
  const raw = scratchPath('frame.bin');
  writeFileSync(raw, Buffer.from(frame.input));
  // The CLI refuses a plan larger than the SRAM, which the page runs in a larger arena to
  // show it: run it with the default 256 KiB and compare all but the arena's size. A search
  // (auto) would choose again for 256 KiB: the page's chosen stages are given instead, as the
  // page's runner gets them.
  const dropped = ['--sram', '--mcu', '--patch', '--split'];
  const flags = settings.filter((f, i) => !dropped.includes(f) && !dropped.includes(settings[i - 1]) && f !== '--multi-stage');
  for (const s of plan.schedule.stages) flags.push('--patch', `${s.rows}x${s.cols}`, '--split', `t${s.split.index}`);
  const cli = JSON.parse(execFileSync(CLI, ['run', model, '--input-raw', raw, '--json', ...flags], { maxBuffer: 1 << 28 }));
  const arena = { capacity: undefined, fits: undefined };
  const d = difference({ ...frame.run, ...arena }, { ...cli.runs[0], input: undefined, ...arena });
  assert.equal(d, null, `page vs mcupatch run --input-raw ${flags.join(' ')}: ${d}`);
}

/// The first path where two JSON documents differ, or null.
export function difference(a, b, path = '$') {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) {
    return `${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  if (a === null || typeof a !== 'object') return a === b ? null : `${path}: ${a} vs ${b}`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = difference(a[k], b[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

/// The page's PlanReport for its current controls equals `mcupatch plan --json` with the
/// same settings as flags, field by field.
export async function assertSamePlanAsCli(page, model = VWW) {
  const [report, flags] = await page.evaluate(() => [window.mcupatchPlan(), window.mcupatchFlags()]);
  // `plan` without --patch searches (auto); `inspect` without it is layer by layer.
  const command = flags.includes('--patch') ? 'plan' : 'inspect';
  const cli = JSON.parse(execFileSync(CLI, [command, model, '--json', ...flags], { maxBuffer: 1 << 28 }));
  const d = difference(report, cli);
  assert.equal(d, null, `page vs mcupatch ${command} ${flags.join(' ')}: ${d}`);
  return report;
}

/// Waits for the sweep and heat of the current plan.
export async function explained(page) {
  await page.waitForFunction(() => window.mcupatchIdle() && window.mcupatchExplain(), null, { timeout: 120000, polling: 100 });
  return page.evaluate(() => window.mcupatchExplain());
}

/// The colour drawn at CSS position (x, y) of a canvas, as RGBA.
export async function canvasPixel(page, selector, x, y) {
  return page.$eval(selector, (c, [x, y]) => {
    const ratio = c.width / c.getBoundingClientRect().width;
    return Array.from(c.getContext('2d').getImageData(Math.floor(x * ratio), Math.floor(y * ratio), 1, 1).data);
  }, [x, y]);
}

export const hex = ([r, g, b]) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/// Opens the details panel `id` as a student does, by clicking its question (the first screen
/// keeps them closed); a panel already open stays open.
export async function reveal(page, id) {
  if (!(await page.$eval(`#${id}`, (d) => d.open))) await page.click(`#${id} > summary h2`);
  assert.equal(await page.$eval(`#${id}`, (d) => d.open), true, `#${id} opened`);
}

/// The error banner's text, or '' while it is hidden.
export async function banner(page) {
  return (await page.isVisible('#error-banner')) ? page.textContent('#error-banner') : '';
}
