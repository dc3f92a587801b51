// Bytes live at every step of the patch plan, the SRAM line, the peak marked, the cursor.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { bytes, patchText } from '../format.js';
import { axis, axisWidth, closed, css, label, layered } from '../draw.js';

function drawLive() {
  if (closed($('live-canvas'))) return;
  const { patched, board } = state.report;
  const steps = patched.steps;
  const top = Math.max(board.sram, patched.peak.bytes) * 1.05;
  const left = axisWidth();
  let x, y;
  const scales = (width, height) => {
    x = (i) => left + (i / Math.max(1, steps.length - 1)) * (width - left - 6);
    y = (b) => height - 6 - (b / top) * (height - 12);
  };
  const { ctx, width, height } = layered($('live-canvas'), (ctx, width, height) => {
    scales(width, height);
    axis(ctx, y, top, left, width);
    ctx.strokeStyle = css('--accent');
    ctx.beginPath();
    steps.forEach((st, i) => (i ? ctx.lineTo(x(i), y(st.live_bytes)) : ctx.moveTo(x(i), y(st.live_bytes))));
    ctx.stroke();
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(board.sram)); ctx.lineTo(width, y(board.sram)); ctx.stroke();
    const peak = patched.peak.step;
    if (steps[peak]) {
      ctx.fillStyle = '#ffd54f';
      ctx.beginPath(); ctx.arc(x(peak), y(steps[peak].extent), 4, 0, 7); ctx.fill();
    }
    const words = `peak ${bytes(patched.peak.bytes)} at op ${patched.peak.op} ${patched.peak.op_name}${patchText(patched.peak.patch)}`;
    label(ctx, words, Math.max(left, Math.min(x(peak) + 6, width - ctx.measureText(words).width - 4)), 12, '#ffd54f');
  });
  scales(width, height);
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(state.step), 0); ctx.lineTo(x(state.step), height); ctx.stroke();
}

export function setupLive() {
  on('step', drawLive);
}
