// The browser harness shared by the page tests (tests/web/*.test.mjs) and the benchmarks that
// drive the page (benches/page.mjs, soak.mjs, wasm.mjs): the static server, Debian's chromium
// through playwright-core, fake-webcam clips made by the CLI (`mcupatch fake-camera`), a page
// opened at a hash and viewport with its console errors collected, and the screenshots folder.
// A test opens its browser with `open(t, …)`, which closes it after the test whatever happens
// (pass, failed assertion, thrown error, timeout); a script closes it in a `finally`.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '../../tools/serve.mjs';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const CLI = join(ROOT, 'target/release/mcupatch');
export const VWW = join(ROOT, 'models/visual_wake_words.tflite');

// Chromium as TOOLCHAIN.md says to run it here. Playwright starts each launch on a fresh
// user-data dir of its own (it refuses a --user-data-dir flag) and removes it on close.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/// The flags that make `file` (a Y4M clip) the webcam, permission granted.
export const camera = (file) => ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`];

/// Serves www/ on a free port of 127.0.0.1 (a secure context for getUserMedia).
export const serveWww = () => serve(join(ROOT, 'www'));

/// Launches Chromium with the harness's flags and `args`.
export function launch(args = []) {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: [...FLAGS, ...args] });
}

let scratch;
/// A path in this process's scratch folder (clips, dumps), removed when the process exits.
export function scratchPath(name) {
  if (!scratch) {
    scratch = mkdtempSync(join(tmpdir(), 'mcupatch-clips-'));
    process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  }
  return join(scratch, name);
}

/// A clip of `photo` (a file in data/images/), made by the CLI: `frames` frames (the CLI's
/// default is 30), at `size` ("WxH") or the CLI's default.
export function clip(photo, { frames = 10, size, name = photo.replace(/\..*/, '.y4m') } = {}) {
  const out = scratchPath(name);
  execFileSync(CLI, ['fake-camera', join(ROOT, 'data/images', photo), out, '--frames', String(frames), ...(size ? ['--size', size] : [])]);
  return out;
}

/// The path of screenshot `name` in screenshots/.
export function shot(name) {
  const dir = join(ROOT, 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/// A new tab whose page errors and console errors are collected in `problems`, and whose
/// main-thread long tasks are recorded in `window.longTasks`; `hasTouch`: a touch screen (a phone).
export async function newPage(browser, { viewport = { width: 1280, height: 720 }, deviceScaleFactor, hasTouch } = {}) {
  const page = await browser.newPage({ viewport, ...(deviceScaleFactor ? { deviceScaleFactor } : {}), ...(hasTouch ? { hasTouch } : {}) });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => e.duration)))
      .observe({ type: 'longtask', buffered: true });
  });
  return { page, problems };
}

/// Waits until the page has planned its last change (or refused it).
export async function idle(page, timeout = 120000) {
  await page.waitForFunction(() => window.mcupatchIdle?.(), null, { timeout, polling: 50 });
}

/// Waits until the page shows a verdict.
export async function anyVerdict(page, timeout = 30000) {
  await page.waitForFunction(() => ['person', 'non person'].includes(document.getElementById('verdict').textContent), null, { timeout });
}

/// For a test `t` (node:test's context): a browser launched with `args`, closed after the test
/// however it ends, and the page of `server` at `hash`, once it is idle.
/// `whileLoading(page)` runs as soon as the page's document exists, before its model loads.
export async function open(t, server, args, { hash = '', viewport, deviceScaleFactor, hasTouch, whileLoading } = {}) {
  const browser = await launch(args);
  t.after(() => browser.close());
  const { page, problems } = await newPage(browser, { viewport, deviceScaleFactor, hasTouch });
  await page.goto(server.url + hash, { waitUntil: whileLoading ? 'commit' : 'load' });
  await whileLoading?.(page);
  await idle(page);
  return { browser, page, problems };
}
