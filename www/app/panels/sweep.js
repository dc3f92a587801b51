// Why finer grids stop helping: every grid at the plan's split and its grid at every split,
// each a bar of peak SRAM (coloured by where the peak falls) with its recompute as a line,
// and what the square grids say in words. A click on a bar asks to plan that candidate.
import { state, on, emit } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, kib, percent } from '../format.js';
import { axis, chartMessage, css, label, surface } from '../draw.js';

const gridOf = (c) => c.schedule.stages[0];

function drawSweeps() {
  const sweep = state.explain?.serial === state.reportSerial ? state.explain.sweep : null;
  const stages = state.report.schedule.stages;
  const none = !stages.length ? 'layer by layer: no split and no grid to sweep — choose a patch plan'
    : !sweep ? 'planning every grid and every split…' : sweep.error ?? null;
  if (none) {
    chartMessage($('sweep-grids'), none);
    chartMessage($('sweep-splits'), '');
    text('sweep-explain', stages.length ? '' : 'Choose a grid (or auto) to see every grid and every split planned.');
    return;
  }
  const split = state.model.splits.find((s) => s.tensor === sweep.split);
  const mapShape = split ? split.shape.slice(1).join('×') : `t${sweep.split}`;
  const isCurrent = (g) => g.rows === sweep.rows && g.cols === sweep.cols;
  const grids = sweep.grids.filter((c) => gridOf(c).rows === gridOf(c).cols || isCurrent(gridOf(c)));
  drawSweep($('sweep-grids'), `every grid, split at op ${stages[0].split_op} (${mapShape})`, grids.map((c) => ({
    c, label: `${gridOf(c).rows}×${gridOf(c).cols}`, current: isCurrent(gridOf(c)),
    settings: { patch: [`${gridOf(c).rows}x${gridOf(c).cols}`], split: [`t${sweep.split}`] },
  })));
  drawSweep($('sweep-splits'), `${sweep.rows}×${sweep.cols} patches, split after op…`, sweep.splits.map((c) => ({
    c, label: String(gridOf(c).split_op), current: gridOf(c).split.index === sweep.split,
    title: `after op ${gridOf(c).split_op}: ${gridOf(c).split.shape.slice(1).join('×')}`,
    settings: { patch: [`${sweep.rows}x${sweep.cols}`], split: [`t${gridOf(c).split.index}`] },
  })));
  text('sweep-explain', sweepWords(grids.filter((c) => gridOf(c).rows === gridOf(c).cols)));
}

/// What the square grids say, in words: where the peak stops falling, and why.
function sweepWords(squares) {
  if (!squares.length) return '';
  const [first, last] = [squares[0], squares[squares.length - 1]];
  const best = squares.reduce((a, b) => (b.peak_bytes < a.peak_bytes ? b : a));
  const after = squares.find((c) => !c.peak_patch);
  const name = (c) => `${gridOf(c).rows}×${gridOf(c).cols}`;
  const falls = `At this split the peak falls from ${bytes(first.peak_bytes)} (${name(first)}) to ${bytes(best.peak_bytes)} (${name(best)}).`;
  const cost = `The halos' recompute grows from ${percent(first.overhead)} to ${percent(last.overhead)} (${name(last)}).`;
  if (!after) return `${falls} Every grid keeps the peak inside the patch stage, so finer grids still lower it. ${cost}`;
  return `${falls} From ${name(after)} on the peak sits at op ${after.peak_op} ${after.peak_op_name}, after the split, `
    + `where the ops run layer by layer: no grid can lower it there. ${cost}`;
}

/// One sweep chart: a bar per candidate (peak SRAM, left axis, coloured by where the peak
/// falls), its recompute as a line (right axis), the SRAM line, the current plan outlined.
function drawSweep(canvas, title, items) {
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  const sram = state.report.board.sram;
  const most = Math.max(...items.map((i) => i.c.peak_bytes));
  const top = Math.max(most, Math.min(sram, most * 2)) * 1.1;
  const overheads = items.map((i) => i.c.overhead * 100);
  const [lo, hi] = [Math.min(0, ...overheads), Math.max(1, ...overheads) * 1.1];
  const [left, right, bottom, head] = [52, 46, 30, 18];
  const slot = (width - left - right) / items.length;
  const x = (i) => left + (i + 0.5) * slot;
  const y = (b) => height - bottom - (b / top) * (height - bottom - head);
  const yPct = (p) => height - bottom - ((p - lo) / (hi - lo)) * (height - bottom - head);
  axis(ctx, y, top, left, width - right);
  // Percent ticks on the right.
  const pctStep = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => (hi - lo) / s <= 5) ?? 1000;
  ctx.fillStyle = css('--muted');
  for (let p = Math.ceil(lo / pctStep) * pctStep; p <= hi; p += pctStep) ctx.fillText(`${p > 0 ? '+' : ''}${p} %`, width - right + 4, yPct(p) + 4);
  items.forEach((item, i) => {
    ctx.fillStyle = css(item.c.peak_patch ? '--tile' : '--activation');
    ctx.fillRect(x(i) - slot * 0.32, y(item.c.peak_bytes), slot * 0.64, y(0) - y(item.c.peak_bytes));
    if (item.current) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.strokeRect(x(i) - slot * 0.32, y(item.c.peak_bytes), slot * 0.64, y(0) - y(item.c.peak_bytes));
      ctx.lineWidth = 1;
    }
  });
  if (sram < top) {
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(sram)); ctx.lineTo(width - right, y(sram)); ctx.stroke();
    label(ctx, `SRAM ${kib(sram)}`, width - right - 92, y(sram) - 3, '#ff8a80');
  }
  ctx.strokeStyle = '#ffd54f';
  ctx.fillStyle = '#ffd54f';
  ctx.beginPath();
  items.forEach((item, i) => (i ? ctx.lineTo(x(i), yPct(item.c.overhead * 100)) : ctx.moveTo(x(i), yPct(item.c.overhead * 100))));
  ctx.stroke();
  items.forEach((item, i) => { ctx.beginPath(); ctx.arc(x(i), yPct(item.c.overhead * 100), 2.5, 0, 7); ctx.fill(); });
  // x labels: as many as fit.
  ctx.fillStyle = css('--muted');
  ctx.textAlign = 'center';
  const every = Math.max(1, Math.ceil(34 / slot));
  items.forEach((item, i) => {
    if (i % every && !item.current) return;
    ctx.fillStyle = item.current ? css('--text') : css('--muted');
    ctx.fillText(item.label, x(i), height - bottom + 13);
  });
  ctx.textAlign = 'left';
  ctx.fillStyle = css('--text');
  ctx.fillText(title, left, 12);
  ctx.fillStyle = css('--muted');
  ctx.fillText('peak SRAM (KiB) · MACs recomputed (%, yellow)', left, height - 3);
  // For clicks and tests: the bars' centres in CSS pixels.
  canvas.bars = { items, pick: (px) => items[Math.floor((px - left) / slot)], x, y, yPct };
}

const barAt = (event) => event.currentTarget.bars?.pick(event.clientX - event.currentTarget.getBoundingClientRect().left);

function sweepTip(event) {
  const item = barAt(event);
  event.currentTarget.title = item
    ? `${item.title ?? item.label}: peak ${bytes(item.c.peak_bytes)} at op ${item.c.peak_op} ${item.c.peak_op_name}${item.c.peak_patch ? ' (inside the patch stage)' : ' (after the split)'} · ${item.c.macs.toLocaleString('en')} MACs (${(item.c.overhead * 100).toFixed(1)} % recomputed) — click to plan it`
    : '';
}

export function setupSweep() {
  for (const id of ['sweep-grids', 'sweep-splits']) {
    $(id).redraw = drawSweeps;
    // A click on a bar plans that grid at that split.
    $(id).addEventListener('click', (event) => {
      const item = barAt(event);
      if (item) emit('plan-settings', item.settings);
    });
    $(id).addEventListener('pointermove', sweepTip);
  }
  on('explain', drawSweeps);
  window.addEventListener('resize', () => {
    if (state.report) drawSweeps();
  });
}
