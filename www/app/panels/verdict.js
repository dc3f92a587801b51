// The verdict box: the runner's label and score for the last frame, its time, and the
// frames answered per second; for a model the page cannot run, why not.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';

function showVerdict() {
  const run = state.run;
  const verdict = $('verdict');
  // A map or other tensors: no verdict (the run report says so).
  const label = run.verdict ? run.label : '—';
  verdict.textContent = label;
  verdict.className = label === 'person' ? 'person' : label === 'non person' ? 'no-person' : '';
  // Announce only a change, not every frame.
  if (label !== state.verdict) $('verdict-live').textContent = label;
  state.verdict = label;
  text('probability', run.verdict ? `${label} ${run.score.toFixed(2)}` : 'no verdict: the output is not a classification');
  text('ms', `${state.ms.toFixed(1)} ms`);
}

function showNoVerdict() {
  if (state.model.classifies_images) return;
  text('verdict', '—');
  text('verdict-live', '');
  $('verdict').className = '';
  text('probability', state.model.source.kind === 'zoo'
    ? 'synthetic weights: memory and MACs only' : 'this page runs image models; use the CLI');
  text('ms', '– ms');
  text('fps', '– fps');
}

/// Frames shown (answered by the engine) in the last second.
function showFps(now) {
  while (state.displayed.length && state.displayed[0] < now - 1000) state.displayed.shift();
  if (!state.model?.classifies_images) return;
  text('fps', state.playing ? `${state.displayed.length} fps` : 'paused');
}

export function setupVerdict() {
  on('frame', showVerdict);
  on('report', showNoVerdict);
  on('clock', showFps);
}
