// Memory per block, layer by layer next to patches (MCUNetV2's Figure 1 for this model).
import { state, on } from '../store.js';
import { $ } from '../dom.js';
import { axis, axisWidth, css, surface } from '../draw.js';

function drawBlocks() {
  const { ctx, width, height } = surface($('blocks-canvas'));
  const blocks = state.report.blocks;
  ctx.clearRect(0, 0, width, height);
  if (!blocks.length) return;
  const top = Math.max(...blocks.map((b) => b.layer_by_layer)) * 1.08;
  const left = axisWidth();
  const w = (width - left) / blocks.length;
  const y = (b) => height - 20 - (b / top) * (height - 30);
  axis(ctx, y, top, left, width);
  blocks.forEach((b, i) => {
    const x0 = left + i * w;
    ctx.fillStyle = css('--activation');
    ctx.fillRect(x0, y(b.layer_by_layer), w * 0.45, height - 20 - y(b.layer_by_layer));
    ctx.fillStyle = css('--tile');
    ctx.fillRect(x0 + w * 0.45, y(b.patched), w * 0.45, height - 20 - y(b.patched));
  });
  ctx.fillStyle = css('--muted');
  ctx.fillText('blocks →   blue: layer by layer · orange: patches', left, height - 4);
}

export function setupBlocks() {
  // Drawn again when its panel opens (draw.js's ResizeObserver).
  $('blocks-canvas').redraw = drawBlocks;
  on('report', drawBlocks);
  window.addEventListener('resize', () => {
    if (state.report) drawBlocks();
  });
}
