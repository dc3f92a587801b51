// The exactness badge: what the last check compared (the same frame patch by patch and layer
// by layer, tensor by tensor), on how many frames since this plan, and the first differing
// byte if there ever is one.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, shortName } from '../format.js';

/// `exact` is the runner's last comparison, or null right after a new plan.
function showBadge(exact) {
  const badge = $('exact-badge');
  const stages = state.report.schedule.stages.length;
  if (!state.model.classifies_images) {
    text('exact-badge', 'exactness is checked on camera frames of an image model');
    badge.className = 'badge';
    text('exact-detail', '');
    return;
  }
  if (!exact) {
    text('exact-badge', stages ? 'checking patches against layer by layer…' : 'layer by layer: nothing to compare — choose patches');
    badge.className = 'badge';
    text('exact-detail', '');
    return;
  }
  const wrong = state.checks.differing;
  badge.className = `badge ${wrong ? 'bad' : 'good'}`;
  if (wrong) {
    const d = wrong.first_difference;
    text('exact-badge', `✗ patches ≠ layer by layer: ${shortName(d.name)} byte ${d.byte}: ${d.layer_by_layer} vs ${d.patched}`);
  } else {
    text('exact-badge', '✓ patches = layer by layer, byte for byte');
  }
  text('exact-detail', `${exact.tensors} tensors, ${bytes(exact.bytes)} compared on each of ${state.checks.frames} frame${state.checks.frames === 1 ? '' : 's'} checked since this plan`);
}

export function setupExactness() {
  on('plan-ready', () => showBadge(null));
  on('exact', showBadge);
}
