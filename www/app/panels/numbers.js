// The plan's numbers: peak SRAM and whether the board fits it, the saving against layer by
// layer, MACs and recompute, where the peak falls, an on-MCU latency estimate, the notes.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, kib, patchText, percent, ratioWords } from '../format.js';

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
  text('mcu-estimate', timeOnBoard(r));
  text('mcu-estimate-source', estimateSource(r.latency));
  text('no-fit', noFit(r));
  const notes = $('notes');
  notes.innerHTML = '';
  for (const n of r.notes) notes.append(Object.assign(document.createElement('li'), { textContent: n }));
}

/// The engine's estimate of one inference on the board (TFLite Micro with CMSIS-NN, fitted to
/// MLPerf Tiny results), with what it stands on, or why there is none.
function timeOnBoard(r) {
  const e = r.latency;
  if (!e) return `No time estimate: ${r.latency_unknown}.`;
  const standIn = e.basis.kind === 'stand-in' ? `; ${e.basis.reason}` : '';
  return `≈ ${e.ms.toFixed(0)} ms per inference on ${e.board.name} (${e.board.core} at ${e.board.mhz} MHz) under TFLite Micro + CMSIS-NN — an estimate fitted to MLPerf Tiny results, ±${(e.loo_error * 100).toFixed(0)} %${standIn}`;
}

/// What the estimate stands on: the fit, its four published runs and where each is recorded.
function estimateSource(e) {
  if (!e) return 'MLPerf Tiny has no TFLite Micro result for this MCU\'s core (docs/latency.md).';
  const f = e.fit;
  const c = e.coefficients;
  const runs = f.rows.map((row) => `${row.model} ${row.measured_ms.toFixed(1)} ms (left out of the fit: ${row.left_out_ms.toFixed(1)} ms; ${row.result_file})`).join('; ');
  return `MLPerf Tiny ${f.round}, ${f.system} (${f.core} at ${f.mhz} MHz), ${f.runtime} ${f.runtime_version}: `
    + `cycles = ${c.dense.toFixed(2)} × (conv + fully connected MACs) + ${c.depthwise.toFixed(2)} × depthwise MACs, `
    + `fitted to its four benchmark runs — ${runs}. The error is the worst run predicted from the other three. `
    + 'An estimate of the board, not this browser\'s time (docs/latency.md).';
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
