// The two arenas side by side: every buffer of layer by layer and of the patch plan as a
// rectangle at its real address during its lifetime, on one address scale, stepped
// together; the buffers live at each peak listed; a tip names the buffer under the pointer.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, kib, patchText, shortName } from '../format.js';
import { KIND_COLOR, axis, axisWidth, chartPx, css, label, layered } from '../draw.js';

/// The step of `arena` that runs the same op as the patch plan's current step (layer by
/// layer has one step per op): the two arenas step together.
function companionStep(arena) {
  const op = state.report.patched.steps[state.step]?.op_index;
  const i = arena.steps.findIndex((st) => st.op_index === op);
  return i >= 0 ? i : Math.round((state.step / Math.max(1, state.report.patched.steps.length)) * arena.steps.length);
}

/// One arena: buffers by address (up) and step (across, the plan's steps stretched to the
/// width), on the address scale both arenas share; the SRAM and this plan's peak marked.
function drawArena(canvas, arena, step) {
  const { layer_by_layer: lbl, patched, board } = state.report;
  const top = Math.max(board.sram, lbl.peak.bytes, patched.peak.bytes) * 1.05;
  const steps = arena.steps;
  const left = axisWidth();
  // Room under the axis for the steps' caption.
  const bottom = chartPx() + 6;
  let x, y;
  const scales = (width, height) => {
    x = (i) => left + (i / Math.max(1, steps.length)) * (width - left - 6);
    y = (b) => height - bottom - (b / top) * (height - bottom - 10);
  };
  const rect = (ctx, b) => ctx.fillRect(x(b.first), y(b.offset + b.bytes), Math.max(1, x(b.last + 1) - x(b.first)), Math.max(1, y(b.offset) - y(b.offset + b.bytes)));
  const { ctx, width, height } = layered(canvas, (ctx, width, height) => {
    scales(width, height);
    axis(ctx, y, top, left, width);
    ctx.globalAlpha = 0.4;
    for (const b of arena.buffers) {
      ctx.fillStyle = css(KIND_COLOR[b.kind] ?? '--activation');
      rect(ctx, b);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(board.sram)); ctx.lineTo(width, y(board.sram)); ctx.stroke();
    ctx.strokeStyle = '#ffd54f';
    ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(left, y(arena.peak.bytes)); ctx.lineTo(width, y(arena.peak.bytes)); ctx.stroke();
    ctx.setLineDash([]);
    const sram = `SRAM ${kib(board.sram)}`;
    label(ctx, sram, width - ctx.measureText(sram).width - 8, y(board.sram) - 4, '#ff8a80');
    ctx.fillStyle = css('--muted');
    ctx.fillText(`steps 1…${steps.length} →`, left, height - 4);
  });
  scales(width, height);
  for (const b of arena.buffers) {
    if (b.first > step || step > b.last) continue;
    ctx.fillStyle = css(KIND_COLOR[b.kind] ?? '--activation');
    rect(ctx, b);
  }
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(step + 0.5), 0); ctx.lineTo(x(step + 0.5), height - bottom); ctx.stroke();
  // For hover and tap (and the tests): the inverse of the scales.
  canvas.hit = { arena, step: (px) => Math.floor(((px - left) / (width - left - 6)) * steps.length), byte: (py) => ((height - bottom - py) / (height - bottom - 10)) * top };
}

function drawArenas() {
  const { layer_by_layer: lbl, patched } = state.report;
  drawArena($('lbl-canvas'), lbl, companionStep(lbl));
  drawArena($('arena-canvas'), patched, state.step);
}

/// The buffer under the pointer, described.
function bufferTip(event) {
  const canvas = event.currentTarget;
  const tip = $('buffer-tip');
  const hit = canvas.hit;
  if (!hit) return;
  const box = canvas.getBoundingClientRect();
  const step = hit.step(event.clientX - box.left);
  const byte = hit.byte(event.clientY - box.top);
  const b = hit.arena.buffers.find((x) => x.first <= step && step <= x.last && x.offset <= byte && byte < x.offset + x.bytes);
  if (!b) {
    tip.hidden = true;
    return;
  }
  const ops = hit.arena.steps;
  const region = b.region ? ` · rows ${b.region.y0}–${b.region.y1 - 1}, cols ${b.region.x0}–${b.region.x1 - 1}` : '';
  tip.textContent = `${b.name} · ${b.kind} · ${b.shape.join('×')} · ${bytes(b.bytes)} at offset ${b.offset} · alive steps ${b.first + 1}–${b.last + 1} (op ${ops[b.first]?.op_index} ${ops[b.first]?.op} → op ${ops[b.last]?.op_index} ${ops[b.last]?.op})${region}`;
  tip.hidden = false;
  tip.style.left = `${Math.min(event.pageX + 12, document.documentElement.clientWidth - 320)}px`;
  tip.style.top = `${event.pageY + 14}px`;
}

/// The buffers live at an arena's peak, lowest address first, as the report lists them.
function fillLiveList(id, arena) {
  const list = $(id);
  list.innerHTML = '';
  for (const b of arena.peak.buffers) {
    const li = document.createElement('li');
    li.innerHTML = '<i></i><span class="name"></span> <span class="dim"></span>';
    li.querySelector('i').style.background = `var(${KIND_COLOR[b.kind] ?? '--activation'})`;
    li.querySelector('.name').textContent = shortName(b.name);
    li.querySelector('.name').title = b.name;
    li.querySelector('.dim').textContent = `${b.shape.join('×')} · ${bytes(b.bytes)} · ${b.kind}`;
    list.append(li);
  }
}

function showPeaks() {
  const { layer_by_layer: l, patched: p } = state.report;
  text('lbl-peak', `peak ${bytes(l.peak.bytes)} at op ${l.peak.op} ${l.peak.op_name}`);
  text('patched-peak', `peak ${bytes(p.peak.bytes)} at op ${p.peak.op} ${p.peak.op_name}${patchText(p.peak.patch)}`);
  fillLiveList('lbl-live', l);
  fillLiveList('patched-live', p);
}

export function setupArena() {
  const legend = $('legend');
  for (const [kind, color] of Object.entries(KIND_COLOR)) {
    if (kind === 'input-tile') continue;
    legend.insertAdjacentHTML('beforeend', `<span><i style="background:var(${color})"></i>${kind.replace('-', ' ')}</span>`);
  }
  for (const id of ['lbl-canvas', 'arena-canvas']) {
    $(id).addEventListener('pointermove', bufferTip);
    $(id).addEventListener('pointerdown', bufferTip);
    // A finger leaves the canvas as soon as it lifts: a tapped tip stays until the next tap elsewhere.
    $(id).addEventListener('pointerleave', (e) => { if (e.pointerType !== 'touch') $('buffer-tip').hidden = true; });
  }
  document.addEventListener('pointerdown', (e) => { if (!e.target.closest?.('.chart-arena')) $('buffer-tip').hidden = true; });
  on('report', showPeaks);
  on('step', drawArenas);
}
