// The plan's numbers: peak SRAM and whether the board fits it, the saving against layer by
// layer, MACs and recompute, where the peak falls, an on-MCU latency estimate, the notes.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, kib, patchText, percent } from '../format.js';

// The on-MCU latency estimate's one measured source: MLPerf Tiny v0.5's closed-division
// reference submission (github.com/mlcommons/tiny_results_v0.5, closed/reference), VWW on a
// Nucleo-L4R5ZI (Cortex-M4 at 120 MHz, TFLite Micro 2.3.1): median 1.665 inferences/s for
// this same MobileNetV1-0.25 model, whose 7 489 664 MACs the engine counts.
const MCU_REFERENCE = (() => {
  const [throughput, mhz, macs] = [1.665, 120, 7_489_664];
  return { mhz, cyclesPerMac: (mhz * 1e6) / throughput / macs };
})();

function showNumbers() {
  const r = state.report;
  const p = r.patched;
  const l = r.layer_by_layer;
  $('peak-bytes').textContent = p.peak.bytes;
  // The SRAM may fit while the weights do not fit the Flash: then the board does not run it.
  const flashShort = r.board.fits_flash === false;
  $('fits').textContent = !r.board.fits_sram ? `does not fit ${bytes(r.board.sram)}`
    : flashShort ? `does not fit: the weights need ${kib(r.board.flash_needed)} of Flash, the board has ${kib(r.board.flash)} (the SRAM fits)` : `fits ${bytes(r.board.sram)}`;
  $('fits').className = r.board.fits_sram && !flashShort ? 'ok' : 'no';
  $('lbl-bytes').textContent = l.peak.bytes;
  $('saving').textContent = r.schedule.stages.length ? `${(l.peak.bytes / p.peak.bytes).toFixed(2)}× less` : 'the same plan';
  $('macs').textContent = p.macs.toLocaleString('en');
  $('overhead').textContent = percent(p.overhead);
  $('input-patch').textContent = p.input_patch ? p.input_patch.join('×') : '—';
  $('input-patch').title = 'the largest input region one patch reads';
  $('peak-where').textContent = `op ${p.peak.op} ${p.peak.op_name}${patchText(p.peak.patch)}`;
  const b = r.board;
  const flash = b.flash == null ? 'Flash size unknown' : `Flash ${bytes(b.flash_needed)} of ${bytes(b.flash)}${b.fits_flash ? '' : ' — does not fit'}`;
  $('board').textContent = `${b.mcu ? b.mcu.name : 'custom'}: SRAM ${bytes(b.sram_needed)} of ${bytes(b.sram)} · ${flash}`;
  const ms = (p.macs * MCU_REFERENCE.cyclesPerMac) / (MCU_REFERENCE.mhz * 1000);
  text('mcu-estimate', `≈ ${ms.toFixed(1)} ms per inference on a ${MCU_REFERENCE.mhz} MHz Cortex-M4 (estimate: ${p.macs.toLocaleString('en')} MACs × ${MCU_REFERENCE.cyclesPerMac.toFixed(2)} cycles per MAC, any op)`);
  text('no-fit', noFit(r));
  const notes = $('notes');
  notes.innerHTML = '';
  for (const n of r.notes) notes.append(Object.assign(document.createElement('li'), { textContent: n }));
}

/// When the peak does not fit the SRAM: where the smallest peak the planner found falls (or this
/// plan's, with a way to search), and which MCU presets hold it (their SRAM and Flash against
/// what the report says the plan needs).
function noFit(r) {
  const b = r.board;
  if (b.fits_sram) return '';
  const p = r.patched.peak;
  const where = `${bytes(p.bytes)} at op ${p.op} ${p.op_name}${patchText(p.patch)}${r.schedule.stages.length && !p.patch ? ', after the split, where the ops run layer by layer' : ''}`;
  const found = r.search ? `Nothing of the ${r.search.candidates} plans searched fits ${bytes(b.sram)}: the smallest peak is ${where}.`
    : `This plan peaks at ${where}; "auto" searches every split and grid for one that fits.`;
  const boards = state.catalog.mcus.filter((m) => m.sram >= b.sram_needed && m.flash >= b.flash_needed).map((m) => m.name);
  return `${found} ${boards.length ? `MCU presets whose SRAM and Flash hold this plan: ${boards.join(', ')}.` : 'No MCU preset holds this plan.'}`;
}

export function setupNumbers() {
  on('report', showNumbers);
}
