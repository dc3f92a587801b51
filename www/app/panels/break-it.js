// Break-it mode: the same patches run without their halos (wrong by design). Shows where the
// split tensor differs from layer by layer, both outputs, and how often the verdict flips;
// the switch says why it is off when the plan cannot be broken this way.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { chartMessage, drawPixels, surface } from '../draw.js';

// Verdict flips are counted over this many frames.
const BREAK_WINDOW = 30;

function clearBreak(headline) {
  text('break-bytes', headline);
  text('break-outputs', '');
  text('break-flips', '');
  chartMessage($('diff-canvas'), '');
}

/// `broken` is the runner's report of a frame run without halos.
function showBreak(broken) {
  const panel = $('break-panel');
  panel.hidden = !$('break-it').checked;
  if (panel.hidden || !broken) return;
  if (broken.error) {
    clearBreak(broken.error);
    return;
  }
  state.breaks.push(broken.halos_blanked.label !== broken.layer_by_layer.label);
  while (state.breaks.length > BREAK_WINDOW) state.breaks.shift();
  state.broken = broken;
  const split = broken.split;
  text('break-bytes', `${broken.differing_bytes.toLocaleString('en')} of ${broken.split.bytes.toLocaleString('en')} bytes of the split tensor differ `
    + `(${broken.differing_pixels} of ${split.shape[1] * split.shape[2]} pixels)`);
  // A classification's scores and verdict; a map or other tensors are too long to list.
  const out = (r) => (r.verdict ? `[${r.outputs[0].int8.join(', ')}] ${r.label}` : `${r.outputs[0].int8.length} output values`);
  text('break-outputs', `layer by layer: ${out(broken.layer_by_layer)} · without halos: ${out(broken.halos_blanked)}`);
  text('break-flips', flipWords(broken));
  drawDifference(broken);
}

/// Whether the verdict flipped over the last frames, or plainly why it held: the best class's
/// score with and without the halos, from the two runs the engine reported.
function flipWords(broken) {
  const [right, wrong] = [broken.layer_by_layer, broken.halos_blanked];
  if (!right.verdict) return 'no verdict to flip: the output is not a classification';
  const flips = state.breaks.filter(Boolean).length;
  const frames = state.breaks.length;
  if (flips) return `verdict wrong on ${flips} of the last ${frames} frames: this frame ${right.label} with halos, ${wrong.label} without`;
  const held = frames === 1 ? 'on this frame' : `on all of the last ${frames} frames`;
  const score = (r) => r.scores[right.class].toFixed(2);
  return `verdict wrong on 0 of the last ${frames} frames — it held ${held}: the wrong pixels moved the score of ${right.label} `
    + `from ${score(right)} to ${score(wrong)}, but it still scores highest. Try a finer grid (more borders) or another picture.`;
}

/// The switch works on a patch plan with int8 camera pixels; otherwise it says why, beside it.
function showSwitch() {
  const r = state.report;
  const why = !state.model.classifies_images ? 'needs camera frames of an image model'
    : !r?.schedule.stages.length ? 'needs a patch plan: choose a grid'
      : r.settings.float_input ? 'needs int8 camera pixels: turn off the float input' : '';
  $('break-it').disabled = Boolean(why);
  text('break-why', why && `Break it ${why}.`);
  const panel = $('break-panel');
  panel.hidden = !$('break-it').checked || Boolean(why);
  if (!panel.hidden && !state.breaks.length) clearBreak('running without halos…');
}

/// The split tensor, red where it differs (brighter: more channels wrong), the patch borders.
function drawDifference(broken) {
  const { ctx, width } = surface($('diff-canvas'));
  const [, h, w, c] = broken.split.shape;
  const scale = width / Math.max(h, w);
  const image = new ImageData(w, h);
  broken.differing_channels.forEach((n, i) => {
    const t = n / c;
    image.data.set(n ? [120 + Math.round(135 * t), 40, 40, 255] : [22, 48, 34, 255], i * 4);
  });
  drawPixels(ctx, image, 0, 0, w * scale, h * scale);
  ctx.strokeStyle = 'rgba(255,255,255,0.6)';
  for (const p of state.report.patches.filter((q) => q.stage === 0)) {
    ctx.strokeRect(p.tile.x0 * scale, p.tile.y0 * scale, (p.tile.x1 - p.tile.x0) * scale, (p.tile.y1 - p.tile.y0) * scale);
  }
}

export function setupBreakIt() {
  $('break-it').addEventListener('change', () => {
    state.breaks = [];
    // The switch sits on its panel's summary line: ticking it opens the panel.
    if ($('break-it').checked) $('break-box').open = true;
    showSwitch();
  });
  on('plan-ready', showSwitch);
  on('breakage', showBreak);
}
