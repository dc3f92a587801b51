// A control that another setting overrides says so next to it: read from the plan report (its
// settings against the schedule it chose), and the grid a new split could not keep (which the
// controls report). Nothing is decided here that the engine did not.
import { state, on } from '../store.js';
import { text } from '../dom.js';

/// The words next to each control the report shows overridden.
function overrides(r) {
  const s = r.settings;
  const stages = r.schedule.stages;
  const auto = s.patch.length === 0 || (s.patch.length === 1 && s.patch[0] === 'auto');
  return {
    'patch-override': !s.patch.length && stages.length
      ? `overridden: with "several stages" ticked the planner chooses patches (${stages.map((st) => `${st.rows}×${st.cols}`).join(' + ')})` : '',
    'split-override': !s.patch.length && !stages.length && s.split.length ? 'ignored: layer by layer has no split' : '',
    'streamed-override': !stages.length && s.streamed_input ? 'ignored: layer by layer has no patches to stream' : '',
    'halo-override': !stages.length && s.halo !== 'recompute' ? 'ignored: layer by layer has no halos' : '',
    'multi-stage-override': s.multi_stage && !(auto && !s.split.length) ? 'ignored: only Patches auto (or layer by layer) with the planner\'s split searches several stages' : '',
  };
}

function showOverrides() {
  for (const [id, words] of Object.entries(overrides(state.report))) text(id, words);
  if (state.gridReset) text('patch-override', state.gridReset);
}

export function setupOverrides() {
  on('report', showOverrides);
}
