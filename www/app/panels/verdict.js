// The verdict box, as the model report classifies the first output: a classification's best
// class by the model's own names and its score; a map or other tensors get no verdict (the map
// is drawn beside the camera, other tensors are listed with their shapes and values). Also
// the frame's time and the frames answered per second; for a model the page cannot run, why not.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { dims } from '../format.js';

/// `-0.5..3.25`: the range of an output's dequantized values.
function valueRange(values) {
  let [lo, hi] = [Infinity, -Infinity];
  for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  const short = (v) => Number(v.toPrecision(4));
  return values.length ? `${short(lo)}..${short(hi)}` : 'no values';
}

function showOutputs(run) {
  const list = $('outputs');
  list.hidden = state.model.output !== 'other';
  if (list.hidden) return;
  list.replaceChildren(...run.outputs.map((o, i) => Object.assign(document.createElement('li'), {
    textContent: `output ${i}: ${state.model.outputs[i].shape.join('×')} · values ${valueRange(o.dequantized)} (dequantized)`,
  })));
}

function showVerdict() {
  const run = state.run;
  const verdict = $('verdict');
  const label = run.verdict ? run.label : '—';
  verdict.textContent = label;
  verdict.className = label === 'person' ? 'person' : label === 'non person' ? 'no-person' : '';
  // Announce only a change, not every frame.
  if (label !== state.verdict) $('verdict-live').textContent = label;
  state.verdict = label;
  const why = state.model.output === 'map' ? `no verdict: the output is a ${dims(state.model.outputs[0].shape)} map, drawn beside the picture`
    : 'no verdict: the outputs are tensors, listed below';
  text('probability', run.verdict ? `${label} ${run.score.toFixed(2)}` : why);
  text('ms', `${state.ms.toFixed(1)} ms`);
  showOutputs(run);
}

function showNoVerdict() {
  if (state.model.classifies_images) return;
  text('verdict', '—');
  text('verdict-live', '');
  $('verdict').className = '';
  $('outputs').hidden = true;
  const input = `${state.model.input.shape.join('×')} ${state.model.input.dtype}`;
  text('probability', state.model.source.kind === 'zoo' ? 'synthetic weights: memory and MACs only'
    : `no camera inference: its input (${input}) is not a camera picture; run it with mcupatch run --input-raw`);
  text('ms', '– ms');
  text('fps', '– fps');
}

/// A new model: nothing answered yet.
function clearVerdict() {
  text('verdict', '…');
  $('verdict').className = '';
  text('probability', '–');
  $('outputs').hidden = true;
}

/// Frames shown (answered by the engine) in the last second.
function showFps(now) {
  while (state.displayed.length && state.displayed[0] < now - 1000) state.displayed.shift();
  if (!state.model?.classifies_images) return;
  text('fps', state.frozen ? 'paused' : `${state.displayed.length} fps`);
}

export function setupVerdict() {
  on('model', clearVerdict);
  on('frame', showVerdict);
  on('report', showNoVerdict);
  on('clock', showFps);
}
