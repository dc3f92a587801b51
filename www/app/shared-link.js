// A shared link opened: the model and settings its hash names, or, for whatever the page cannot
// open (an unknown model, a dropped file whose bytes no link carries, a setting the model or
// the planner refuses), the default model and settings with a note naming what was ignored:
// never a dead page.
import { state, on } from './store.js';
import { $, clearError, text } from './dom.js';
import { readHash } from './url.js';
import { loadModel, replan, sourceOf } from './model.js';
import { CUSTOM_SRAM, applySettings, openingSettings, settingsFromControls } from './settings.js';
import { GALLERY } from './gallery.js';
import { settingProblem } from './problems.js';

const DEFAULT_MODEL = GALLERY[0];
let opening = true;

function showNote(sentences) {
  text('link-note-text', sentences.join(' '));
  $('link-note').hidden = !sentences.length;
}

/// What of the link's grids and splits the loaded model's lists could not take.
function refusedBy(controls, settings) {
  const refused = [];
  for (const p of settings.patch) if (!controls.patch.includes(p)) refused.push(`patch=${p} (not a grid of this model)`);
  for (const s of settings.split) if (!controls.split.includes(s)) refused.push(`split=${s} (not a split of this model)`);
  return refused;
}

/// Opens the model and settings of the page's link (the default model without one); resolves
/// to the tour step the link asks for (−1: none).
export async function openLink() {
  const link = readHash();
  const sentences = [];
  const ignored = [...(link?.ignored ?? [])];
  let source = link && sourceOf(link.model);
  let settings = link?.settings;
  if (link && !source) {
    const dropped = link.model.startsWith('file:') ? link.model.slice('file:'.length) : null;
    sentences.push(dropped
      ? `This link was made with a model dropped on the page, ${dropped}: drop that file here again to see its plan (the link's settings are kept for it); meanwhile this is ${DEFAULT_MODEL.name}.`
      : `This link names a model this page does not offer, "${link.model}": opened ${DEFAULT_MODEL.name} instead, with its own settings (the link's were for that model).`);
    if (dropped) state.awaitedFile = { name: dropped, settings };
    settings = undefined;
  }
  source ??= sourceOf(DEFAULT_MODEL.key);
  if (!(await loadModel(source, settings)) && source.key !== DEFAULT_MODEL.key) {
    sentences.push(`${source.name} could not be built (the banner says why): opened ${DEFAULT_MODEL.name} instead.`);
    settings = undefined;
    await loadModel(sourceOf(DEFAULT_MODEL.key));
  }
  if (settings && state.model) {
    ignored.push(...refusedBy(settingsFromControls(), settings));
    if (state.planError) {
      sentences.push(`The link's settings could not be planned (${settingProblem(state.planError)}): opened with the model's own.`);
      clearError();
      applySettings({ ...openingSettings(state.model), mcu: null, sram: CUSTOM_SRAM });
      await replan();
    }
  }
  if (ignored.length) sentences.push(`Ignored from the link: ${ignored.join('; ')}.`);
  showNote(sentences);
  opening = false;
  return link?.tour ?? -1;
}

export function setupSharedLink() {
  $('link-note-close').onclick = () => showNote([]);
  // The note is about the link's model: another model loaded makes it history.
  on('model', () => {
    if (!opening) showNote([]);
  });
}
