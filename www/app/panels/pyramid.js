// The halo pyramid: the current patch's computed region in every feature map of its stage,
// to scale, from the input to the split tensor, whose own tile is outlined.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { chartPx, closed, css, flow, surface } from '../draw.js';

function drawPyramid() {
  const canvas = $('pyramid-canvas');
  if (closed(canvas)) return;
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  const { patched, ops, patches } = state.report;
  const current = patched.steps[state.step];
  ctx.fillStyle = css('--muted');
  canvas.layout = null;
  if (!current?.patch) {
    ctx.fillText(state.report.schedule.stages.length ? 'this step runs after the patch stage: the whole map at once' : 'layer by layer: no patches, no halos', 8, 16);
    return;
  }
  const mine = patched.steps.filter((st) => st.patch && st.patch.stage === current.patch.stage && st.patch.index === current.patch.index && st.region);
  const regions = patches.find((p) => p.stage === current.patch.stage && p.index === current.patch.index);
  const maps = [];
  if (current.patch.stage === 0 && regions) {
    const [, h, w] = state.report.input.shape;
    maps.push({ label: 'input', h, w, region: regions.input });
  }
  for (const st of mine) {
    const shape = ops[st.op_index].outputs[0] ?? [];
    maps.push({ label: `op ${st.op_index}`, h: shape[1], w: shape[2], region: st.region, current: st === current, tile: st === mine[mine.length - 1] ? regions?.tile : null });
  }
  // Maps to scale, left to right, wrapping onto more rows on a narrow screen; each gets at
  // least its labels' width, and a label line above and two below, at the charts' text size.
  const scale = 96 / Math.max(...maps.map((m) => m.h));
  const px = chartPx();
  const labels = (m) => [m.label, `${m.region.y1 - m.region.y0}×${m.region.x1 - m.region.x0}`, `of ${m.h}×${m.w}`];
  // Whole pixels: a map on a fractional x would blur its edges.
  const room = (m) => Math.ceil(Math.max(m.w * scale, ...labels(m).map((words) => ctx.measureText(words).width))) + 10;
  const { placed, total } = flow(maps, width, { w: room, h: (m) => m.h * scale, above: px + 4, below: 2 * px + 8 });
  if (Math.abs(height - total) > 1) {
    canvas.style.height = `${total}px`;
    return; // the ResizeObserver redraws at the new height
  }
  for (const { m, x0, top } of placed) {
    ctx.fillStyle = '#0d1117';
    ctx.fillRect(x0, top, m.w * scale, m.h * scale);
    ctx.strokeStyle = 'rgba(255,255,255,0.3)';
    ctx.strokeRect(x0, top, m.w * scale, m.h * scale);
    const r = m.region;
    ctx.fillStyle = m.current ? 'rgba(240,160,75,0.9)' : 'rgba(240,160,75,0.55)';
    ctx.fillRect(x0 + r.x0 * scale, top + r.y0 * scale, (r.x1 - r.x0) * scale, (r.y1 - r.y0) * scale);
    if (m.tile) {
      ctx.strokeStyle = css('--stage');
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + m.tile.x0 * scale, top + m.tile.y0 * scale, (m.tile.x1 - m.tile.x0) * scale, (m.tile.y1 - m.tile.y0) * scale);
      ctx.lineWidth = 1;
    }
    ctx.fillStyle = m.current ? css('--text') : css('--muted');
    const [name, region, whole] = labels(m);
    ctx.fillText(name, x0, top - 4);
    ctx.fillText(region, x0, top + m.h * scale + px + 1);
    ctx.fillText(whole, x0, top + m.h * scale + 2 * px + 3);
  }
  // Where each map went, for tests that read the drawn regions back from the pixels.
  canvas.layout = { scale, maps: placed.map(({ m, x0, top }) => ({ label: m.label, h: m.h, w: m.w, tile: m.tile ?? null, x0, top })) };
}

export function setupPyramid() {
  on('step', drawPyramid);
}
