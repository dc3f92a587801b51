// The network's ops in a row: the patch stages shaded, the split ops outlined, the current
// op marked. Built once per report; the mark moves per step.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { kib } from '../format.js';

function fillOpStrip() {
  const strip = $('op-strip');
  strip.innerHTML = '';
  const { ops, schedule, patched } = state.report;
  const stageOf = new Map();
  for (const st of patched.steps) if (st.patch) stageOf.set(st.op_index, st.patch.stage);
  const splits = new Set(schedule.stages.map((st) => st.split_op));
  for (const op of ops) {
    const cell = document.createElement('span');
    cell.className = `op${stageOf.has(op.index) ? ` stage${stageOf.get(op.index)}` : ''}${splits.has(op.index) ? ' split' : ''}${op.scheduled ? '' : ' skipped'}`;
    cell.title = `op ${op.index} ${op.op} (${op.block}): ${op.outputs.map((o) => o.join('×')).join(', ')} · ${op.macs.toLocaleString('en')} MACs${op.plan_macs !== op.macs ? `, ${op.plan_macs.toLocaleString('en')} in this plan` : ''}`;
    cell.textContent = op.op.replace('DEPTHWISE_CONV_2D', 'DW').replace('CONV_2D', 'CONV').replace('AVERAGE_POOL_2D', 'POOL').slice(0, 5);
    cell.dataset.op = op.index;
    strip.append(cell);
  }
  const words = schedule.stages.length
    ? schedule.stages.map((st, i) => `stage ${i + 1}: ${st.rows}×${st.cols} patches up to op ${st.split_op}, whose output ${st.split.shape.slice(1).join('×')} (${kib(st.split.bytes)}) is the split`).join('; ')
    : 'layer by layer: no patch stage, every op computes its whole output at once';
  $('strip-explain').textContent = `${words}. Shaded ops run patch by patch; the outlined op writes the split tensor.`;
}

function markOp() {
  const op = state.report.patched.steps[state.step]?.op_index;
  const strip = $('op-strip');
  if (strip.marked === op) return;
  strip.querySelector('.current')?.classList.remove('current');
  strip.querySelector(`[data-op="${op}"]`)?.classList.add('current');
  strip.marked = op;
}

export function setupOpStrip() {
  on('report', fillOpStrip);
  on('step', markOp);
}
