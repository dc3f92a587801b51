// The input panel: the frame exactly as the network received it, the patch grids over it,
// the current patch's tile and halo, and (on request) the halos' overlap as a tint.
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { css, drawPixels, heatRgb, surface } from '../draw.js';

/// The network's input as pixels: real = scale × (q − zero point) for int8, then mapped from
/// the plan's input range back to 0..255 (a standardized input from its own extremes); one
/// channel is drawn grey.
function inputImage() {
  const t = state.report.input;
  const [, h, w, c] = t.shape;
  const raw = state.input;
  if (!raw || (c !== 3 && c !== 1)) return null;
  const values = t.dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (values.length !== h * w * c) return null;
  const q = t.quant ?? { scale: 1, zero_point: 0 };
  const real = t.dtype === 'float32' ? (v) => v : (v) => q.scale * (v - q.zero_point);
  const range = state.report.input_range;
  let [lo, hi] = [range.lo, range.hi];
  if (range.standardize) {
    lo = Infinity;
    hi = -Infinity;
    for (const v of values) [lo, hi] = [Math.min(lo, real(v)), Math.max(hi, real(v))];
    if (!(hi > lo)) hi = lo + 1;
  }
  const image = new ImageData(w, h);
  for (let i = 0, j = 0; i < values.length; i += c, j += 4) {
    for (let k = 0; k < 3; k++) image.data[j + k] = ((real(values[i + (c === 3 ? k : 0)]) - lo) / (hi - lo)) * 255;
    image.data[j + 3] = 255;
  }
  return image;
}

/// The first stage's input heat as a translucent layer over the picture: pixels read once
/// are left clear, the rest tinted by how many patches read them. Made once per report.
function heatLayer(heat) {
  if (heat.layer?.serial !== state.reportSerial) {
    const image = new ImageData(heat.width, heat.height);
    heat.counts.forEach((c, i) => image.data.set(c > 1 ? [...heatRgb(c, heat.max), 150] : [0, 0, 0, 0], i * 4));
    const canvas = new OffscreenCanvas(heat.width, heat.height);
    canvas.getContext('2d').putImageData(image, 0, 0);
    heat.layer = { serial: state.reportSerial, canvas };
  }
  return heat.layer.canvas;
}

function drawInput() {
  const { ctx, width } = surface($('input-canvas'));
  const [, h, w] = state.report.input.shape;
  const scale = width / Math.max(h, w);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, width);
  const image = state.model.classifies_images ? inputImage() : null;
  if (image) {
    drawPixels(ctx, image, 0, 0, w * scale, h * scale);
  } else {
    ctx.fillStyle = css('--muted');
    const why = state.model.classifies_images ? 'waiting for a frame…'
      : state.model.source.kind === 'zoo' ? 'synthetic weights: no camera inference' : 'its input is not a camera picture';
    ctx.fillText(why, 12, 20);
  }
  const heat = $('heat-overlay').checked && state.explain?.serial === state.reportSerial ? state.explain.heat.inputs?.[0] : null;
  if (heat && heat.height === h && heat.width === w) ctx.drawImage(heatLayer(heat), 0, 0, w * scale, h * scale);
  // Every first-stage patch's tile as a faint grid (its split-map tile drawn at input scale);
  // the current patch's halo (the input region it reads) shaded, its tile outlined.
  const current = state.report.patched.steps[state.step]?.patch;
  const stages = state.report.schedule.stages;
  const box = (r, k) => [r.x0 * k, r.y0 * k, (r.x1 - r.x0) * k, (r.y1 - r.y0) * k];
  const tileScale = stages[0] ? (h / stages[0].split.shape[1]) * scale : scale;
  for (const p of state.report.patches.filter((q) => q.stage === 0)) {
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.strokeRect(...box(p.tile, tileScale));
    if (!current || current.stage !== 0 || current.index !== p.index) continue;
    ctx.fillStyle = 'rgba(240, 160, 75, 0.3)';
    ctx.fillRect(...box(p.input, scale));
    ctx.strokeStyle = css('--tile');
    ctx.lineWidth = 2;
    ctx.strokeRect(...box(p.input, scale));
    ctx.strokeStyle = css('--stage');
    ctx.lineWidth = 2.5;
    ctx.strokeRect(...box(p.tile, tileScale));
  }
  // Later stages' grids (two-stage plans), dashed: their tiles over their own split maps.
  ctx.setLineDash([4, 3]);
  for (const p of state.report.patches.filter((q) => q.stage > 0)) {
    const own = current && current.stage === p.stage && current.index === p.index;
    if (own) {
      // Its halo lies in the previous stage's split map.
      ctx.fillStyle = 'rgba(255,255,255,0.25)';
      ctx.fillRect(...box(p.input, (h / stages[p.stage - 1].split.shape[1]) * scale));
    }
    ctx.strokeStyle = own ? '#fff' : 'rgba(102,187,106,0.8)';
    ctx.lineWidth = own ? 2 : 1.5;
    ctx.strokeRect(...box(p.tile, (h / stages[p.stage].split.shape[1]) * scale));
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
}

export function setupInput() {
  on('step', drawInput);
  $('heat-overlay').addEventListener('change', () => { state.drawn = ''; });
}
