// Recompute heat: every map of the patch stages to one scale, each pixel coloured by how many
// times the plan computes it (the input: how many patches read it); the sum is the engine's.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { chartMessage, chartPx, css, drawPixels, flow, heatRgb, surface } from '../draw.js';

function drawHeat() {
  const heat = state.explain?.serial === state.reportSerial ? state.explain.heat : null;
  const canvas = $('heat-canvas');
  const stages = state.report.schedule.stages;
  if (!stages.length || !heat || heat.error) {
    chartMessage(canvas, !stages.length ? 'layer by layer: every pixel is computed once' : heat?.error ?? 'counting…');
    if (!stages.length) text('heat-sum', 'Choose a patch plan to see its halos\' recompute.');
    return;
  }
  const maps = [...heat.inputs.map((m) => ({ ...m, label: 'input (reads)', input: true })), ...heat.layers.map((m) => ({ ...m, label: `op ${m.op}` }))];
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  const tallest = Math.max(...maps.map((m) => m.height));
  // Whole CSS pixels per map pixel where there is room (the VWW input at 1:1).
  const scale = Math.max(1, Math.floor(96 / tallest)) * (tallest > 96 ? 96 / tallest : 1);
  // Each map at least as wide as its labels, a line of them above and below, at the charts' text size.
  const px = chartPx();
  const room = (m) => Math.ceil(Math.max(m.width * scale, ctx.measureText(m.label).width, ctx.measureText(`max ${m.max}×`).width)) + 8;
  const { placed, total } = flow(maps, width, { w: room, h: (m) => m.height * scale, above: px + 2, below: px + 6 });
  const wanted = total + px + 10;
  if (Math.abs(height - wanted) > 1) {
    canvas.style.height = `${wanted}px`;
    return; // the ResizeObserver redraws at the new height
  }
  const max = Math.max(...maps.map((m) => m.max));
  canvas.layout = { scale, maps: placed.map(({ m, x0, top }) => ({ op: m.op, input: Boolean(m.input), x0, top })) };
  for (const { m, x0, top } of placed) {
    const image = new ImageData(m.width, m.height);
    m.counts.forEach((c, i) => {
      image.data.set([...heatRgb(c, max), 255], i * 4);
    });
    drawPixels(ctx, image, x0, top, m.width * scale, m.height * scale);
    ctx.fillStyle = css('--muted');
    ctx.fillText(m.label, x0, top - 3);
    ctx.fillText(`max ${m.max}×`, x0, top + m.height * scale + px + 1);
  }
  // The colour key: a box per count, its label inside.
  const keyY = height - 6;
  const box = 2 * px + 4;
  for (let c = 1; c <= max; c++) {
    ctx.fillStyle = `rgb(${heatRgb(c, max).join(',')})`;
    ctx.fillRect(4 + (c - 1) * box, keyY - px, box - 2, px + 4);
    ctx.fillStyle = c > max / 2 ? '#000' : '#fff';
    ctx.fillText(`${c}×`, 7 + (c - 1) * box, keyY);
  }
  const extra = heat.stage_macs - heat.stage_macs_layer_by_layer;
  const { layer_by_layer: lbl } = state.report;
  text('heat-sum', `Σ over the stage's maps of (times computed − 1) × MACs per pixel = ${extra.toLocaleString('en')} MACs `
    + `= +${((extra / lbl.macs) * 100).toFixed(1)} % of layer by layer's ${lbl.macs.toLocaleString('en')}: the plan's recomputed MACs. `
    + 'The input map counts how many patches read each pixel: the halos\' overlap.');
  $('heat-sum').dataset.extraMacs = extra;
}

export function setupHeat() {
  $('heat-canvas').redraw = drawHeat;
  on('explain', drawHeat);
  window.addEventListener('resize', () => {
    if (state.report) drawHeat();
  });
}
