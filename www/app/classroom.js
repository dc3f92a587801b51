// Classroom mode, for a projector: large type on the page and on the canvases, high contrast,
// the camera and the arenas side by side and the rest hidden (style.css, html.classroom). A
// toggle in the header and the URL's `classroom` flag, so a teacher's link opens in it.
import { state } from './store.js';
import { $ } from './dom.js';
import { forgetColours } from './draw.js';
import { hashFlag, writeHash } from './url.js';
import { settingsFromControls } from './settings.js';

function setClassroom(on) {
  state.classroom = on;
  $('classroom-mode').checked = on;
  document.documentElement.classList.toggle('classroom', on);
  // Colours and fonts the canvases read change with the mode: every canvas draws again.
  forgetColours();
  state.drawn = '';
  for (const canvas of document.querySelectorAll('canvas')) {
    if (canvas.layer) canvas.layer = null;
    if (state.report) canvas.redraw?.();
  }
}

// The switch is not id="classroom": a link's #classroom would scroll to it and focus it.
export function setupClassroom() {
  setClassroom(hashFlag('classroom'));
  $('classroom-mode').addEventListener('change', () => {
    setClassroom($('classroom-mode').checked);
    if (state.model) writeHash(settingsFromControls());
  });
}
