// The controls that change the plan or the model: the settings' lists and switches, the
// model list, a dropped or chosen file (a model or a photo), and the keyboard.
import { state } from './store.js';
import { $ } from './dom.js';
import { SWITCHES, fillGrids } from './settings.js';
import { loadModel, replan, sourceOf } from './model.js';
import { useImage } from './camera.js';
import { move, togglePlay } from './player.js';

/// `[` and `]`: the previous or next grid of the Patches list.
export function nextGrid(delta) {
  const select = $('patch-select');
  const grids = [...select.options].map((o) => o.value).filter((v) => /x/.test(v));
  if (!grids.length) return;
  const at = grids.indexOf(select.value);
  const next = at < 0 ? (delta > 0 ? 0 : grids.length - 1) : Math.max(0, Math.min(grids.length - 1, at + delta));
  if (grids[next] === select.value) return;
  select.value = grids[next];
  changed();
}

/// A photo is shown in place of the camera; any other file is loaded as a model.
async function useFile(file) {
  if (!file) return;
  const data = await file.arrayBuffer();
  if (isImage(new Uint8Array(data, 0, Math.min(16, data.byteLength)))) {
    const url = URL.createObjectURL(new Blob([data], { type: file.type }));
    useImage(url);
    $('camera-message').hidden = false;
    $('camera-message').textContent = `Showing your photo ${file.name}.`;
    return;
  }
  // A shared link of this file's plan waits for it (see shared-link.js).
  const awaited = state.awaitedFile?.name === file.name ? state.awaitedFile.settings : undefined;
  if (await loadModel({ key: `file:${file.name}`, name: `${file.name} (your file)`, bytes: data }, awaited) && awaited) state.awaitedFile = null;
}

/// PNG, JPEG, GIF, WebP and BMP by their first bytes; anything else is taken for a model.
function isImage(b) {
  const starts = (...sig) => sig.every((v, i) => b[i] === v);
  return starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff) || starts(0x47, 0x49, 0x46, 0x38)
    || (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45) || starts(0x42, 0x4d);
}

/// Chooses `value` in the Patches list (a grid, `auto`, or '' for layer by layer) and plans it.
export function choosePatch(value) {
  $('patch-select').value = value;
  changed();
}

/// A control changed: plan again; the note of a grid a split reset belongs to that change only.
function changed() {
  state.gridReset = '';
  replan();
}

/// Whether a key pressed in `target` belongs to it: a form control's own keys (Space ticks a
/// checkbox or presses a button, arrows move a select or a slider) are never shortcuts.
const ownsKeys = (target) => target instanceof Element && Boolean(target.closest('input, select, textarea, button, summary, [contenteditable]'));

export function setupControls() {
  for (const [id] of SWITCHES) $(id).addEventListener('change', changed);
  $('patch-select').addEventListener('change', changed);
  $('halo-select').addEventListener('change', changed);
  $('split-select').addEventListener('change', () => {
    state.gridReset = fillGrids($('split-select').value);
    replan();
  });
  $('sram-custom').addEventListener('change', changed);
  $('mcu-select').addEventListener('change', () => {
    $('sram-label').hidden = $('mcu-select').value !== 'custom';
    changed();
  });
  $('model-select').addEventListener('change', async () => {
    const source = sourceOf($('model-select').value);
    // A dropped file's entry: its bytes are in the workers only while it is the model.
    if (source) await loadModel(source);
  });
  $('model-file').addEventListener('change', () => useFile($('model-file').files[0]));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    useFile(e.dataTransfer.files[0]);
  });
  document.addEventListener('keydown', (e) => {
    if (ownsKeys(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = { ' ': togglePlay, ArrowRight: () => move(1), ArrowLeft: () => move(-1), '[': () => nextGrid(-1), ']': () => nextGrid(1) };
    if (!keys[e.key]) return;
    e.preventDefault();
    keys[e.key]();
  });
}
