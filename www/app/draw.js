// Drawing helpers the panels share: canvases sized to their CSS box, a cached static layer,
// axes and labels, maps flowed into rows, and the colours of buffer kinds and of the heat.
import { state } from './store.js';

const colours = new Map();
/// Forgets the colours read: classroom mode changes them.
export const forgetColours = () => colours.clear();

/// The charts' text size in CSS pixels: 20 in classroom mode (readable from the back of a room), 14 else.
export const chartPx = () => (document.documentElement.classList.contains('classroom') ? 20 : 14);

/// The width of a chart's left byte axis, labels included, at the charts' text size.
export const axisWidth = () => Math.round(chartPx() * 4.4);
/// A CSS custom property's value, read once.
export const css = (name) => {
  if (!colours.has(name)) colours.set(name, getComputedStyle(document.documentElement).getPropertyValue(name).trim());
  return colours.get(name);
};

export const KIND_COLOR = {
  'input': '--input', 'input-tile': '--input', 'activation': '--activation', 'patch-tile': '--tile',
  'stage-output': '--stage', 'scratch': '--scratch', 'output': '--output',
};

/// Whether a canvas drawn before is out of the layout now (its panel closed): it draws again
/// when it opens (its ResizeObserver asks), so a closed panel costs nothing per frame.
export const closed = (canvas) => canvas.cssSize?.width === 0;

/// A canvas sized to its CSS box at the display's pixel ratio; draws in CSS pixels. When the
/// box changes, the canvas's `redraw` (if it has one) runs, and the step panels redraw.
export function surface(canvas) {
  const ratio = window.devicePixelRatio || 1;
  // Sizes come from a ResizeObserver: reading layout every frame would force it.
  if (!canvas.cssSize) {
    canvas.cssSize = canvas.getBoundingClientRect();
    new ResizeObserver(([entry]) => {
      canvas.cssSize = entry.contentRect;
      state.drawn = '';
      if (state.report) canvas.redraw?.();
    }).observe(canvas);
  }
  const { width, height } = canvas.cssSize;
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.font = `${chartPx()}px system-ui, sans-serif`;
  return { ctx, width, height, ratio };
}

/// Draws `paint` once per report and canvas size into an offscreen layer, then copies that
/// layer onto the canvas: per frame only the cursor and the live buffers are drawn anew.
export function layered(canvas, paint) {
  const surf = surface(canvas);
  const id = `${state.reportSerial}|${canvas.width}x${canvas.height}|${surf.ctx.font}`;
  if (canvas.layer?.id !== id) {
    const off = new OffscreenCanvas(canvas.width, canvas.height);
    const ctx = off.getContext('2d');
    ctx.setTransform(surf.ratio, 0, 0, surf.ratio, 0, 0);
    ctx.font = surf.ctx.font;
    paint(ctx, surf.width, surf.height);
    canvas.layer = { id, off };
  }
  surf.ctx.setTransform(1, 0, 0, 1, 0, 0);
  surf.ctx.clearRect(0, 0, canvas.width, canvas.height);
  surf.ctx.drawImage(canvas.layer.off, 0, 0);
  surf.ctx.setTransform(surf.ratio, 0, 0, surf.ratio, 0, 0);
  return surf;
}

/// A chart canvas showing only a sentence (nothing to draw yet, or nothing to draw at all).
export function chartMessage(canvas, words) {
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = css('--muted');
  ctx.fillText(words, 8, chartPx() + 6);
  canvas.bars = null;
}

/// An ImageData drawn to a rectangle with hard pixel edges (a map pixel stays a square).
export function drawPixels(ctx, image, x, y, width, height) {
  const tmp = new OffscreenCanvas(image.width, image.height);
  tmp.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, x, y, width, height);
}

/// Byte ticks on the left of a chart, a power of two KiB apart, in KiB below 1 MiB and in MiB
/// from there (`1024 KiB` would not fit the axis).
export function axis(ctx, y, top, left, width) {
  const step = 1024 * 2 ** Math.max(0, Math.ceil(Math.log2(top / 4 / 1024)));
  ctx.fillStyle = css('--muted');
  ctx.strokeStyle = 'rgba(255,255,255,0.12)';
  ctx.textAlign = 'right';
  for (let v = 0; v <= top; v += step) {
    ctx.fillText(v >= 1 << 20 ? `${Number((v / (1 << 20)).toFixed(2))} MiB` : `${Math.round(v / 1024)} KiB`, left - 4, y(v) + chartPx() / 3);
    ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(width, y(v)); ctx.stroke();
  }
  ctx.textAlign = 'left';
}

/// Text on a dark box, readable over whatever the chart drew below it.
export function label(ctx, words, x, y, color) {
  const w = ctx.measureText(words).width;
  const px = chartPx();
  ctx.fillStyle = 'rgba(16,20,27,0.85)';
  ctx.fillRect(x - 2, y - px + 1, w + 4, px + 2);
  ctx.fillStyle = color;
  ctx.fillText(words, x, y);
}

/// Places maps left to right, wrapping onto more rows on a narrow screen, each row as tall as
/// its tallest map plus room for labels `above` and `below` it: where each map's top-left
/// goes (`x0`, `top`) and the height all rows need.
export function flow(maps, width, { w, h, above, below }) {
  const rows = [[]];
  let x = 4;
  for (const m of maps) {
    if (x + w(m) > width && x > 4) {
      rows.push([]);
      x = 4;
    }
    rows[rows.length - 1].push({ m, x0: x });
    x += w(m);
  }
  const placed = [];
  let total = 0;
  for (const row of rows) {
    for (const at of row) placed.push({ ...at, top: total + above });
    total += above + Math.max(...row.map((at) => h(at.m))) + below;
  }
  return { placed, total };
}

/// Heat colours: computed once is dark blue, the most-recomputed pixel bright yellow.
export function heatRgb(count, max) {
  if (!count) return [0, 0, 0];
  const t = max > 1 ? (count - 1) / (max - 1) : 0;
  const mix = (a, b) => Math.round(a + (b - a) * t);
  return [mix(35, 255), mix(55, 214), mix(100, 79)];
}
