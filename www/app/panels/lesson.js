// The first screen's one sentence: layer by layer's peak against the MCU's SRAM, and what the
// patch plan needs and costs — every figure from the current plan report. Each figure is a
// <b> carrying the report's exact value (data-value), which the tests compare.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { bytes, kib } from '../format.js';

/// A figure of the sentence: its words, and the report's value it shows.
const figure = (words, value) => {
  const b = document.createElement('b');
  // A figure never breaks across lines.
  b.textContent = words.replace(/ /g, '\u00a0');
  b.dataset.value = String(value);
  return b;
};

/// The sentence as a list of strings and figures.
function sentence(r) {
  const lbl = r.layer_by_layer.peak.bytes;
  const peak = r.patched.peak.bytes;
  const sram = r.board.sram;
  const mcu = r.board.mcu ? `this ${r.board.mcu.name}` : 'this MCU';
  const lblFits = lbl <= sram;
  const parts = ['Layer by layer needs ', figure(kib(lbl), lbl), lblFits ? ` and fits ${mcu}'s ` : `, ${mcu} has `, figure(kib(sram), sram)];
  const stages = r.schedule.stages;
  if (!stages.length) {
    parts.push(lblFits ? '.' : ': it does not fit. Choose Patches: auto to let the planner cut the peak.');
    return parts;
  }
  const patches = stages.reduce((n, s) => n + s.rows * s.cols, 0);
  const grids = stages.map((s) => `${s.rows}×${s.cols}`).join(' + ');
  // A plan no lower than layer by layer on an MCU that holds layer by layer: nothing to cut.
  const needless = lblFits && peak >= lbl;
  parts.push(needless ? ', so the planner cuts nothing: its plan of ' : '; computed in ', figure(`${patches} patch${patches === 1 ? '' : 'es'}`, patches),
    ` (${grids}) ${needless ? '' : 'it '}needs `, figure(kib(peak), peak));
  const overhead = r.patched.overhead;
  if (overhead > 0) parts.push(' and does ', figure(`${(overhead * 100).toFixed(1)} %`, overhead), ' more work');
  else parts.push(' and does no more work');
  if (!r.board.fits_sram) parts.push(` — still more than the ${bytes(sram)}: the plan card says what would fit.`);
  else if (r.board.fits_flash === false) parts.push(`, but the weights do not fit its Flash (${kib(r.board.flash_needed)} of ${kib(r.board.flash)}).`);
  else parts.push(needless ? '. Choose a smaller SRAM (MCU: custom) to see patches cut the peak.' : '.');
  return parts;
}

function showLesson() {
  $('lesson').replaceChildren(...sentence(state.report));
  $('lesson').classList.toggle('no', !state.report.board.fits_sram);
}

export function setupLesson() {
  on('report', showLesson);
}
