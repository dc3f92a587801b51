// What the network sees, in numbers: the real values pixels 0 and 255 become in this plan, the
// rule that chose them (the model's metadata, its int8 input's range, or the user's), and a
// control to override them (Settings.pixel_range, the CLI's --pixel-range).
import { state, on, emit } from '../store.js';
import { $, text } from '../dom.js';
import { dims, rangeRule, rangeWords } from '../format.js';

function showRange() {
  const r = state.report;
  const box = $('pixel-range');
  box.hidden = !state.model.classifies_images;
  if (box.hidden) return;
  const range = r.input_range;
  const channels = r.input.shape[3] === 1 ? 'grayscale (the camera\'s luminance)' : 'colour';
  text('input-seen', `The network sees ${dims(r.input.shape)} ${r.input.dtype}, ${channels}: pixels 0..255 become ${rangeWords(range)}, by ${rangeRule(range, state.model)}.`);
  const own = range.rule !== 'settings';
  // The user's numbers stay as typed while they are planned; the model's own are shown.
  if (document.activeElement !== $('pixel-lo')) $('pixel-lo').value = range.standardize ? '' : Number(range.lo.toFixed(4));
  if (document.activeElement !== $('pixel-hi')) $('pixel-hi').value = range.standardize ? '' : Number(range.hi.toFixed(4));
  for (const id of ['pixel-lo', 'pixel-hi']) $(id).placeholder = range.standardize ? 'per image' : '';
  $('pixel-own').disabled = own;
}

/// Both numbers given and different: plan with them.
function override() {
  const [lo, hi] = [$('pixel-lo').value, $('pixel-hi').value].map((v) => (v.trim() === '' ? NaN : Number(v)));
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo === hi) {
    text('pixel-problem', 'Give two different numbers: the real values of pixel 0 and of pixel 255.');
    return;
  }
  text('pixel-problem', '');
  emit('plan-settings', { pixel_range: [lo, hi] });
}

export function setupPixelRange() {
  for (const id of ['pixel-lo', 'pixel-hi']) $(id).addEventListener('change', override);
  $('pixel-own').addEventListener('click', () => {
    text('pixel-problem', '');
    emit('plan-settings', { pixel_range: null });
  });
  on('report', showRange);
}
