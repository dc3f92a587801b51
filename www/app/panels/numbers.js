// The plan's numbers: peak SRAM and whether the board fits it, the saving against layer by
// layer, MACs and recompute, where the peak falls, an on-MCU latency estimate, the notes.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, kib, patchText, percent, ratioWords } from '../format.js';

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
  $('saving').textContent = r.schedule.stages.length ? `the patch plan needs ${ratioWords(l.peak.bytes, p.peak.bytes)}` : 'the same plan';
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

/// When the peak does not fit the SRAM, the engine's advice: where the plan's peak falls and
/// why patches don't lower it, the first change of settings that fits, and the smallest MCU
/// preset that holds the peak.
function noFit(r) {
  const a = r.advice;
  if (!a) return '';
  const found = r.search ? `Nothing of the ${r.search.candidates} plans searched fits ${bytes(r.board.sram)}` : `This plan does not fit ${bytes(r.board.sram)}`;
  const change = a.change ? `It would fit if you ${a.change.what}: ${bytes(a.change.peak_bytes)} peak, ${percent(a.change.overhead)} MACs.`
    : 'No switch or grid makes it fit.';
  const mcu = a.mcu ? `The smallest MCU preset that holds ${bytes(a.peak_bytes)}: ${a.mcu.name}.` : 'No MCU preset holds it.';
  return `${found}: ${a.why}. ${change} ${mcu}`;
}

export function setupNumbers() {
  on('report', showNumbers);
}
