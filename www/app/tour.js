// The guided tour: each step is a small experiment on the model loaded. It sets the controls
// (a real plan, from the engine), points at what to look at — scrolled into view, the tour's
// box beside it, never over it — says it with the figures of the plan the engine reported,
// asks the student to do one thing (pause, step, pick a grid, click a bar, tick a switch), with
// buttons for it in the box, and confirms once the page shows it done. Its step is part of the
// URL, so a link can open it.
import { state, on } from './store.js';
import { $, text } from './dom.js';
import { CUSTOM_SRAM, LESSON_SWITCHES, applySettings, settingsFromControls } from './settings.js';
import { writeHash } from './url.js';
import { replan } from './model.js';
import { choosePatch, nextGrid } from './controls.js';
import { move, pauseAt, resume } from './player.js';
import { dims, kib, percent } from './format.js';

// Every step's settings start from the first screen's switches, the others off, the split the planner's.
const LESSON = { ...LESSON_SWITCHES, in_place_pointwise: false, in_place_add: false, multi_stage: false, float_input: false, split: [] };

const grids = (r) => r.schedule.stages.map((s) => `${s.rows}×${s.cols}`).join(' + ');
const patchCount = (r) => r.schedule.stages.reduce((n, s) => n + s.rows * s.cols, 0);
const peakAt = (p) => `op ${p.op} (${p.op_name})`;
const rows = (g) => `rows ${g.y0}–${g.y1 - 1}, cols ${g.x0}–${g.x1 - 1}`;
const modelName = () => state.source?.name ?? 'this model';
const runsFrames = () => state.model.classifies_images;
/// The plan's peak against the MCU's SRAM, in words.
const against = (r) => `${kib(r.patched.peak.bytes)} ${r.board.fits_sram ? 'fits under' : 'is still above'} the red line, ${kib(r.board.sram)}`;

/// The buttons a step offers: [words, what they do].
const stepButtons = [['◀', () => move(-1)], ['▶', () => move(1)]];

/// Ticks or clears "Break it" as a click would (its panel follows the change).
function setBreak(ticked) {
  if ($('break-it').checked === ticked) return;
  $('break-it').checked = ticked;
  $('break-it').dispatchEvent(new Event('change'));
}

/// Pauses on the first step of the patch after the current one (the first patch after the last).
function nextPatch(r) {
  const steps = r.patched.steps;
  const now = steps[state.step]?.patch;
  const at = steps.findIndex((s, i) => i > state.step && s.patch && (!now || s.patch.index !== now.index || s.patch.stage !== now.stage));
  pauseAt(at >= 0 ? at : Math.max(0, steps.findIndex((s) => s.patch)));
}

// What the current step has seen since it opened: the reports planned during it, the patches
// stepped through, its first report, and its confirmation once done (kept: the ✓ stays).
let seen = { reports: [], patches: new Set(), first: null, done: '' };

// Each step: title; subject (a selector) and the details to open for it; settings (over the
// tour's MCU and the first screen's switches); enter (what the step does first); words from the
// report; the task; buttons; check → [done, words] from what the page shows.
const TOUR = [
  {
    title: 'What the network sees', subject: '.camera .view', settings: { patch: ['auto'] },
    words: (r) => (runsFrames()
      ? `The camera frame, centre-cropped and shrunk to the ${dims(r.input.shape)} int8 input of ${modelName()}. The verdict under it is computed by the real model in your browser, inside a simulated MCU arena of ${kib(r.board.sram)}. The faint grid: the plan's ${patchCount(r)} patches.`
      : `This network takes a ${dims(r.input.shape)} input. Its weights are synthetic, so no camera frame runs and there is no verdict — but every buffer, address and byte count on this page is its real plan's.`),
    task: () => 'Pause the picture: press Space, or the button.',
    buttons: () => (state.frozen ? [] : [['Pause', () => pauseAt(state.step)]]),
    check: (r) => {
      if (!state.frozen) return [false, ''];
      const run = state.run;
      if (!runsFrames() || !run) return [true, `✓ Paused. Steps and arenas now wait for you; the plan has ${patchCount(r)} patches (${grids(r)}).`];
      return [true, `✓ Paused on this frame: ${run.verdict ? `${run.label}, score ${run.score.toFixed(2)}` : 'no verdict for this output'}, from ${dims(r.input.shape)} int8 values.`];
    },
  },
  {
    title: 'Layer by layer does not fit', subject: '.arenas', settings: { patch: [] }, enter: () => pauseAt(0),
    words: (r) => {
      const l = r.layer_by_layer.peak;
      return `Layer by layer, as TFLite Micro runs it, each op holds its whole input and output. The left arena's peak (yellow dashes) is ${kib(l.bytes)} at ${peakAt(l)}: ${l.bytes > r.board.sram ? 'above' : 'under'} this MCU's ${kib(r.board.sram)} of SRAM (red line)${l.bytes > r.board.sram ? ', so it does not fit' : ''}.`;
    },
    task: (r) => `Step with ▶ (or →) to step ${r.patched.peak.step + 1}, where the peak is.`,
    buttons: () => stepButtons,
    check: (r) => {
      const p = r.patched.peak;
      if (r.schedule.stages.length || state.step !== p.step) return [false, ''];
      return [true, `✓ Step ${p.step + 1}, ${peakAt(p)}: ${p.buffers.length} buffers live at once, ${kib(p.bytes)} together — the highest stack in the arena.`];
    },
  },
  {
    title: 'Patches', subject: '.arenas', settings: { patch: [] },
    words: (r) => `A patch plan runs the first ops one tile of the map at a time, so only one patch's small buffers live at once, and the right arena's peak falls. Layer by layer needs ${kib(r.layer_by_layer.peak.bytes)}; this MCU has ${kib(r.board.sram)}.`,
    task: (r) => `Pick a grid whose peak fits under the red line (${kib(r.board.sram)}).`,
    buttons: () => [...$('patch-select').options].filter((o) => o.value).slice(0, 8).map((o) => [o.text, () => choosePatch(o.value)]),
    check: (r) => {
      if (!r.schedule.stages.length) return [false, ''];
      const words = `${grids(r)}: ${patchCount(r)} patches, peak ${against(r)} (layer by layer: ${kib(r.layer_by_layer.peak.bytes)}).`;
      return r.board.fits_sram ? [true, `✓ ${words}`] : [false, `${words} Try a finer grid.`];
    },
  },
  {
    title: 'The halo costs compute', subject: '#pyramid-canvas', open: 'pyramid-detail', settings: { patch: ['auto'] },
    enter: (r) => pauseAt(Math.max(0, r.patched.steps.findIndex((s) => s.patch))),
    words: (r) => `Each patch reads more than its tile: its halo (orange), because a convolution looks at its neighbours. Neighbouring halos overlap and are computed twice: ${percent(r.patched.overhead)} MACs for this ${grids(r)} plan. Left: the input; right: the split tensor.`,
    task: () => 'Step with ▶ (or →) until the patch changes, or jump to the next patch, and watch its halo move.',
    buttons: (r) => [...stepButtons, ['next patch', () => nextPatch(r)]],
    check: (r) => {
      const patch = r.patched.steps[state.step]?.patch;
      if (patch) seen.patches.add(`${patch.stage}:${patch.index}`);
      if (seen.patches.size < 2 || !patch) return [false, ''];
      const p = r.patches.find((q) => q.stage === patch.stage && q.index === patch.index);
      return [true, `✓ Patch ${patch.index + 1}: its tile is ${rows(p.tile)} of the split tensor, yet it reads input ${rows(p.input)} — its halo included.`];
    },
  },
  {
    title: 'Where the peak went', subject: '#patched-figure', settings: { patch: ['2x2'] },
    words: (r) => (r.patched.peak.patch
      ? `With ${grids(r)} patches the peak, ${kib(r.patched.peak.bytes)}, falls inside a patch, at ${peakAt(r.patched.peak)}: finer patches shrink it. The list under the arena shows the buffers live there.`
      : `With ${grids(r)} patches the peak, ${kib(r.patched.peak.bytes)}, sits after the split, at ${peakAt(r.patched.peak)}, where the ops run layer by layer again: a finer grid shrinks only the patches.`),
    task: () => 'Make the patches finer (] or the button) until the peak leaves the patches.',
    buttons: () => [['finer ]', () => nextGrid(1)], ['coarser [', () => nextGrid(-1)]],
    check: (r) => {
      if (!r.schedule.stages.length) return [false, ''];
      const tried = seen.reports.filter((q) => q.schedule.stages.length).map((q) => `${grids(q)}: ${kib(q.patched.peak.bytes)}`);
      const history = [...new Set(tried)].join(' · ');
      const grid = $('patch-select').value;
      const finest = [...$('patch-select').options].at(-1).value === grid;
      if (!r.patched.peak.patch) return [true, `✓ ${history}. At ${grids(r)} the peak sits after the split, at ${peakAt(r.patched.peak)}: finer patches no longer lower it, and they recompute ${percent(r.patched.overhead)} MACs.`];
      if (finest) return [true, `✓ ${history}. ${grids(r)} is the finest grid here, and the peak still falls inside a patch.`];
      return [false, history];
    },
  },
  {
    title: 'Let the planner choose', subject: '#sweep-box', open: 'sweep-box', settings: { patch: ['auto'] },
    // The words stay auto's while the student plans other grids.
    words: (r, auto = seen.first ?? r) => `"auto" plans every split and grid for real and keeps the one with the fewest MACs that fits: here ${grids(auto)}, ${kib(auto.patched.peak.bytes)} peak, ${percent(auto.patched.overhead)} MACs. The upper chart is every grid at its split: bars the peak, the line the recompute.`,
    task: () => 'Click another bar in the upper chart to plan that grid, and compare it with auto\'s.',
    buttons: () => [['auto again', () => choosePatch('auto')]],
    check: (r) => {
      const auto = seen.first;
      if (!auto || r.settings.patch[0] === 'auto' || !r.schedule.stages.length) return [false, ''];
      return [true, `✓ ${grids(r)}: ${kib(r.patched.peak.bytes)}, ${percent(r.patched.overhead)} MACs, ${r.board.fits_sram ? 'fits' : 'does not fit'}. Auto's ${grids(auto)}: ${kib(auto.patched.peak.bytes)}, ${percent(auto.patched.overhead)} MACs.`];
    },
  },
  {
    title: 'Break it', subject: '#break-box', open: 'break-box', settings: { patch: ['auto'] }, enter: resume,
    words: () => (runsFrames()
      ? 'What is the halo for? Without it each patch sees only its own share of the input: blanks where its neighbours\' pixels should be. The red pixels will show where the split tensor then differs from layer by layer — and whether the verdict changes.'
      : 'Breaking the halos runs camera frames, and a network with synthetic weights runs none. Load Visual Wake Words or Rock, paper, scissors (Model) to try it.'),
    task: () => (runsFrames() ? 'Tick "Break it" and let a few frames run.' : ''),
    buttons: () => (runsFrames() && !$('break-it').checked ? [['Break it', () => setBreak(true)]] : []),
    check: () => {
      if (!$('break-it').checked || state.breaks.length < 3 || !state.broken) return [false, ''];
      const b = state.broken;
      const [, h, w] = b.split.shape;
      return [true, `✓ ${b.differing_pixels} of ${h * w} split pixels wrong; ${$('break-flips').textContent.replace(/\.$/, '')}.`];
    },
  },
];

// Room kept between the tour's box, its subject and the window's edges.
const GAP = 8;

/// Places the tour's box beside its subject, in the window: right or left of it, else above or
/// below it (scrolling the page to make room when `scroll`); a subject too tall for any of
/// these starts just under the box at the window's top (when `scroll`: else the box stays).
function placeBeside(subject, scroll) {
  const tour = $('tour');
  const { width: w, height: h } = tour.getBoundingClientRect();
  const [W, H] = [document.documentElement.clientWidth, window.innerHeight];
  let s = subject.getBoundingClientRect();
  const beside = s.right + GAP + w <= W - GAP || s.left - GAP - w >= GAP;
  if (scroll && !beside && s.height + h + 3 * GAP <= H) {
    // Scrolled so the box fits above the subject (or below it, at the page's end).
    window.scrollBy(0, s.top - (h + 2 * GAP));
    s = subject.getBoundingClientRect();
  }
  const clampTop = (top) => Math.max(GAP, Math.min(top, H - h - GAP));
  const clampLeft = (left) => Math.max(GAP, Math.min(left, W - w - GAP));
  const sides = [
    [s.right + GAP + w <= W - GAP, () => [s.right + GAP, clampTop(s.top)]],
    [s.left - GAP - w >= GAP, () => [s.left - GAP - w, clampTop(s.top)]],
    [s.bottom + GAP + h <= H - GAP, () => [clampLeft(s.left), s.bottom + GAP]],
    [s.top - GAP - h >= GAP, () => [clampLeft(s.left), s.top - GAP - h]],
  ];
  const side = sides.find(([room]) => room);
  if (side) {
    const [left, top] = side[1]();
    tour.style.left = `${left}px`;
    tour.style.top = `${top}px`;
    return;
  }
  if (!scroll) return;
  tour.style.left = `${clampLeft(s.left)}px`;
  tour.style.top = `${GAP}px`;
  window.scrollBy(0, s.top - (h + 2 * GAP));
}

/// The subject scrolled into view and the box beside it.
function present(subject) {
  subject.scrollIntoView({ block: 'nearest' });
  placeBeside(subject, true);
}

// A subject that grows or shrinks (a panel filling in), a box whose words do, or a page whose
// panels above the subject do (moving it), is presented again.
const resizes = new ResizeObserver(() => {
  const subject = state.tour >= 0 && document.querySelector(TOUR[state.tour].subject);
  if (subject) present(subject);
});

/// The step's words, task, buttons and confirmation from the current report and page.
function showWords() {
  const step = TOUR[state.tour];
  const r = state.report;
  if (!step || !r || !seen.first) return;
  text('tour-text', step.words(r));
  text('tour-task', seen.done ? '' : step.task(r));
  const [done, words] = seen.done ? [true, seen.done] : step.check(r);
  if (done) seen.done = words;
  text('tour-done', words);
  $('tour-done').classList.toggle('pending', !done);
  const buttons = done ? [] : step.buttons(r);
  const box = $('tour-do');
  if (box.dataset.buttons !== buttons.map(([w]) => w).join('|')) {
    box.dataset.buttons = buttons.map(([w]) => w).join('|');
    box.replaceChildren(...buttons.map(([w, act]) => Object.assign(document.createElement('button'), { type: 'button', textContent: w, onclick: act })));
  }
}

// The MCU the tour tells its story on, chosen when it opens: { mcu, sram }.
let board = null;

/// The MCU where layer by layer does not fit and the planner's patch plan does, so every step's
/// story holds on the model loaded: the page's own MCU, else the first screen's 20 KiB, else the
/// smallest MCU preset the engine's advice names. None: the page's own (the words say what is).
async function chooseBoard() {
  const own = settingsFromControls();
  const tries = [{ mcu: own.mcu, sram: own.sram }];
  if (own.mcu || own.sram !== CUSTOM_SRAM) tries.push({ mcu: null, sram: CUSTOM_SRAM });
  let advised = false;
  for (const next of tries) {
    applySettings({ ...LESSON, ...next, patch: ['auto'] });
    await replan();
    const r = state.report;
    if (!r) continue;
    if (r.board.fits_sram && r.layer_by_layer.peak.bytes > r.board.sram) return next;
    if (r.advice?.mcu && !advised) {
      advised = true;
      tries.push({ mcu: r.advice.mcu.name, sram: null });
    }
  }
  return tries[0];
}

/// Opens the tour at step `index` (from 0), or closes it (−1).
export async function showTour(index) {
  const opening = state.tour < 0;
  state.tour = index;
  $('tour').hidden = index < 0;
  document.querySelector('.tour-focus')?.classList.remove('tour-focus');
  resizes.disconnect();
  if (index < 0) {
    board = null;
    return writeHash(settingsFromControls());
  }
  const step = TOUR[index];
  text('tour-title', step.title);
  text('tour-count', `${index + 1} / ${TOUR.length}`);
  for (const id of ['tour-text', 'tour-task', 'tour-done']) text(id, '');
  $('tour-do').replaceChildren();
  $('tour-do').dataset.buttons = '';
  $('tour-back').disabled = index === 0;
  $('tour-next').disabled = index === TOUR.length - 1;
  seen = { reports: [], patches: new Set(), first: null, done: '' };
  if (opening || !board) board = await chooseBoard();
  if (state.tour !== index) return;
  applySettings({ ...LESSON, ...board, ...step.settings });
  // Only the last step breaks the halos.
  if (index !== TOUR.length - 1) setBreak(false);
  if (step.open) $(step.open).open = true;
  const subject = document.querySelector(step.subject);
  subject.classList.add('tour-focus');
  await replan();
  if (state.tour !== index || !state.report) return;
  seen.first = state.report;
  seen.reports = [state.report];
  step.enter?.(state.report);
  showWords();
  resizes.observe(subject);
  resizes.observe($('tour'));
  resizes.observe(document.querySelector('main'));
  present(subject);
}

/// Whether a shared link's tour step exists.
export const isTourStep = (index) => index >= 0 && index < TOUR.length;

export function setupTour() {
  $('tour-button').onclick = () => showTour(0);
  $('tour-next').onclick = () => showTour(Math.min(TOUR.length - 1, state.tour + 1));
  $('tour-back').onclick = () => showTour(Math.max(0, state.tour - 1));
  $('tour-close').onclick = () => showTour(-1);
  // A scroll or a new layout moves the subject: the box follows it.
  let queued = false;
  const follow = () => {
    if (queued || state.tour < 0) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const subject = document.querySelector(TOUR[state.tour]?.subject);
      if (subject && state.tour >= 0) placeBeside(subject, false);
    });
  };
  window.addEventListener('scroll', follow, { passive: true });
  window.addEventListener('resize', follow);
  // What the student does shows in the reports, the steps and the frames: the step checks it.
  on('report', () => {
    if (state.tour >= 0 && seen.first) seen.reports.push(state.report);
    showWords();
  });
  for (const event of ['step', 'clock', 'breakage']) on(event, () => state.tour >= 0 && showWords());
  // Another model loaded during the tour: the step starts again on it, on an MCU chosen for it.
  let restart = false;
  on('model', () => {
    if (state.tour < 0) return;
    board = null;
    restart = true;
  });
  on('plan-ready', () => {
    if (!restart || state.tour < 0) return;
    restart = false;
    showTour(state.tour);
  });
}
