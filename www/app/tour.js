// The guided tour: each step sets the controls (a real plan, from the engine), points at what
// to look at — scrolled into view, the tour's box placed beside it, never over it — and says
// it with the figures of the plan the engine reported for the step. Its step is part of the
// URL, so a link can open it.
import { state, on } from './store.js';
import { $, text } from './dom.js';
import { CUSTOM_SRAM, applySettings, settingsFromControls } from './settings.js';
import { writeHash } from './url.js';
import { loadModel, replan, sourceOf } from './model.js';
import { kib, percent } from './format.js';

// The model every step's story is about: the Visual Wake Words person detector.
const TOUR_MODEL = 'vww';

const grids = (r) => r.schedule.stages.map((s) => `${s.rows}×${s.cols}`).join(' + ');
const peakAt = (p) => `op ${p.op} ${p.op_name}`;

// [title, subject (a selector), settings, words from the step's plan report]
const TOUR = [
  ['What the network sees', '.camera .view', { patch: [] },
    (r) => `The camera frame, centre-cropped and shrunk to the ${r.input.shape.slice(1, 3).join('×')} int8 pixels the network receives. The verdict under it is computed by the real model in your browser, inside a simulated MCU arena.`],
  ['Layer by layer does not fit', '.arenas', { patch: [] },
    (r) => `Layer by layer, each op holds its whole input and output. On the left arena the peak (yellow dashes, ${kib(r.layer_by_layer.peak.bytes)} at ${peakAt(r.layer_by_layer.peak)}) is far above this MCU's ${kib(r.board.sram)} of SRAM (red line): it does not fit.`],
  ['Patches', '.arenas', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    (r) => `Now the first ops run one patch of a ${grids(r)} grid at a time (shaded in the op strip below). Only one patch's small buffers live at once: the right arena's peak drops to ${kib(r.patched.peak.bytes)}, ${r.board.fits_sram ? 'under' : 'still over'} the red line.`],
  ['The halo costs compute', '#pyramid-canvas', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    (r) => `Step with ▶ (or →) and watch the halos: each patch reads more than its tile, and neighbouring halos overlap, so some MACs are computed twice: ${percent(r.patched.overhead)} MACs for this ${grids(r)} plan.`],
  ['Where the peak went', '#patched-figure', { patch: ['6x6'], streamed_input: true, in_place_depthwise: true },
    (r) => (r.patched.peak.patch
      ? `Finer ${grids(r)} patches shrink each patch's buffers: the peak, ${kib(r.patched.peak.bytes)}, still falls inside a patch (${peakAt(r.patched.peak)}); the list under the right arena shows the buffers live there.`
      : `Finer ${grids(r)} patches shrink the stage, but the peak stays at ${kib(r.patched.peak.bytes)}: it now sits after the split, at ${peakAt(r.patched.peak)}, where ops run layer by layer again. The list under the right arena shows which buffers are live there.`)],
  ['Let the planner choose', '#sweep-box', { patch: ['auto'], streamed_input: true, in_place_depthwise: true },
    (r) => `"auto" plans every split and grid for real and keeps the one with the fewest MACs that fits the SRAM: here ${grids(r)} patches, ${kib(r.patched.peak.bytes)} peak, ${percent(r.patched.overhead)} MACs. These charts show every grid and split it weighed: past some grid the peak sits after the split and only the recompute grows.`],
  ['Break it', '#break-box', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true, breakIt: true },
    () => 'Now the same patches run without their halos — wrong by design. The red pixels are where the split tensor differs from layer by layer: along the patch borders. With the halos, the badge beside the camera shows the two schedules agree byte for byte.'],
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

// A subject that grows or shrinks (a panel filling in) is presented again.
const resizes = new ResizeObserver(([entry]) => {
  if (state.tour >= 0) present(entry.target);
});

/// The step's words from its plan's report, and its box placed beside its subject.
function showStep() {
  if (state.tour < 0 || !state.report) return;
  const [, target, , words] = TOUR[state.tour];
  text('tour-text', words(state.report));
  const subject = document.querySelector(target);
  if (!subject) return;
  resizes.disconnect();
  resizes.observe(subject);
  present(subject);
}

/// Opens the tour at step `index` (from 0), or closes it (−1). The tour tells the person
/// detector's story: on another model it loads that one first.
export async function showTour(index) {
  state.tour = index;
  const tour = $('tour');
  tour.hidden = index < 0;
  document.querySelector('.tour-focus')?.classList.remove('tour-focus');
  if (index < 0) {
    resizes.disconnect();
    return writeHash(settingsFromControls());
  }
  const [title, target, settings] = TOUR[index];
  text('tour-title', title);
  text('tour-count', `${index + 1} / ${TOUR.length}`);
  text('tour-text', '');
  $('tour-back').disabled = index === 0;
  $('tour-next').disabled = index === TOUR.length - 1;
  if (state.source?.key !== TOUR_MODEL && !(await loadModel(sourceOf(TOUR_MODEL)))) return;
  $('mcu-select').value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
  applySettings({ mcu: null, sram: CUSTOM_SRAM, ...settings });
  $('break-it').checked = Boolean(settings.breakIt);
  state.breaks = [];
  document.querySelector(target)?.classList.add('tour-focus');
  await replan();
  if (state.tour === index) showStep();
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
      const subject = document.querySelector(TOUR[state.tour]?.[1]);
      if (subject && state.tour >= 0) placeBeside(subject, false);
    });
  };
  window.addEventListener('scroll', follow, { passive: true });
  window.addEventListener('resize', follow);
  // Settings changed during a step: its words follow the new plan.
  on('report', () => {
    if (state.tour >= 0) text('tour-text', TOUR[state.tour][3](state.report));
  });
}
