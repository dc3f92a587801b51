// The guided tour: each step sets the controls (a real plan, from the engine) and points at
// what to look at. Its step is part of the URL, so a link can open it.
import { state } from './store.js';
import { $, text } from './dom.js';
import { CUSTOM_SRAM, applySettings, settingsFromControls } from './settings.js';
import { writeHash } from './url.js';
import { loadModel, replan, sourceOf } from './model.js';

// The model every step's words describe: the Visual Wake Words person detector.
const TOUR_MODEL = 'vww';

const TOUR = [
  ['What the network sees', 'section.camera', { patch: [] },
    'The camera frame, centre-cropped and shrunk to the 96×96 int8 pixels the network receives. The verdict is computed by the real model in your browser, inside a simulated MCU arena.'],
  ['Layer by layer does not fit', 'section.arena', { patch: [] },
    'Layer by layer, each op holds its whole input and output. On the left arena the peak (yellow dashes) is far above this 20 KiB MCU\'s SRAM (red line): it does not fit.'],
  ['Patches', 'section.arena', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    'Now the first ops run one 3×3 patch at a time (shaded in the op strip). Only one patch\'s small buffers live at once: the right arena\'s peak drops under the red line.'],
  ['The halo costs compute', '#pyramid-canvas', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    'Step with ▶ (or →) and watch the halos: each patch reads more than its tile, and neighbouring halos overlap, so some MACs are computed twice (the "recomputed" percentage).'],
  ['Where the peak went', '#patched-live', { patch: ['6x6'], streamed_input: true, in_place_depthwise: true },
    'Finer patches shrink the stage, but the peak now sits after the split, where ops run layer by layer again: the list shows which buffers are live at the new peak.'],
  ['Let the planner choose', 'section.why', { patch: ['auto'], streamed_input: true, in_place_depthwise: true },
    '"auto" plans every split and grid for real and keeps the cheapest that fits the SRAM. The charts below show every grid and split it weighed: past some grid the peak sits after the split and only the recompute grows.'],
  ['Break it', '#break-box', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true, breakIt: true },
    'Now the same patches run without their halos — wrong by design. The red pixels are where the split tensor differs from layer by layer: along the patch borders. With the halos, the badge shows the two schedules agree byte for byte.'],
];

/// Opens the tour at step `index` (from 0), or closes it (−1). The tour tells the person
/// detector's story: on another model it loads that one first.
export async function showTour(index) {
  state.tour = index;
  const tour = $('tour');
  tour.hidden = index < 0;
  document.querySelector('.tour-focus')?.classList.remove('tour-focus');
  if (index < 0) return writeHash(settingsFromControls());
  const [title, target, settings, words] = TOUR[index];
  text('tour-title', title);
  text('tour-count', `${index + 1} / ${TOUR.length}`);
  text('tour-text', words);
  $('tour-back').disabled = index === 0;
  $('tour-next').disabled = index === TOUR.length - 1;
  if (state.source?.key !== TOUR_MODEL && !(await loadModel(sourceOf(TOUR_MODEL)))) return;
  $('mcu-select').value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
  applySettings({ mcu: null, sram: CUSTOM_SRAM, ...settings });
  $('break-it').checked = Boolean(settings.breakIt);
  state.breaks = [];
  replan();
  const focus = document.querySelector(target);
  focus?.classList.add('tour-focus');
  focus?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

/// Whether a shared link's tour step exists.
export const isTourStep = (index) => index >= 0 && index < TOUR.length;

export function setupTour() {
  $('tour-button').onclick = () => showTour(0);
  $('tour-next').onclick = () => showTour(Math.min(TOUR.length - 1, state.tour + 1));
  $('tour-back').onclick = () => showTour(Math.max(0, state.tour - 1));
  $('tour-close').onclick = () => showTour(-1);
}
