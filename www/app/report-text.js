// The plan as a short plain-text report, rendered from the engine's reports (model, plan, last
// run): what an engineer pastes into a ticket. Nothing in it is computed here.
import { state } from './store.js';
import { dims, outputWords, percent, rangeRule, rangeWords } from './format.js';
import { cliCommand } from './cli-command.js';

const schedule = (r) => (r.schedule.stages.length
  ? r.schedule.stages.map((s) => `${s.rows}x${s.cols} patches to t${s.split.index} (${dims(s.split.shape)})`).join(' + ')
  : 'layer by layer');

const peakAt = (p) => `op ${p.op} ${p.op_name}${p.patch ? ` (stage ${p.patch.stage + 1} patch ${p.patch.row + 1},${p.patch.col + 1})` : ''}`;

export function reportText() {
  const { model: m, report: r, run } = state;
  const b = r.board;
  const lines = [
    `mcupatch plan of ${state.source.name}`,
    `model: ${m.ops} ops, ${m.weight_bytes} B of weights, ${m.flash_bytes} B in Flash`,
    `input: ${dims(r.input.shape)} ${r.input.dtype}; pixels 0..255 become ${rangeWords(r.input_range)}, by ${rangeRule(r.input_range, m)}`,
    `output: ${outputWords(m)}`,
    `plan: ${schedule(r)}`,
    `peak SRAM: ${r.patched.peak.bytes} B at ${peakAt(r.patched.peak)}; layer by layer ${r.layer_by_layer.peak.bytes} B at ${peakAt(r.layer_by_layer.peak)}`,
    `MACs: ${r.patched.macs} (${percent(r.patched.overhead)} recomputed)`,
    `board: ${b.mcu ? b.mcu.name : 'custom'}, SRAM ${b.sram_needed} of ${b.sram} B (${b.fits_sram ? 'fits' : 'does not fit'})`
      + `${b.flash == null ? '' : `, Flash ${b.flash_needed} of ${b.flash} B (${b.fits_flash ? 'fits' : 'does not fit'})`}`,
    ...r.notes.map((n) => `note: ${n}`),
    ...(run?.verdict ? [`last frame: ${run.label} ${run.score.toFixed(2)}`] : []),
    `reproduce: ${cliCommand(r)}`,
  ];
  return `${lines.join('\n')}\n`;
}
