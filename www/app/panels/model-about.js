// What the loaded model is: a gallery model's purpose, source and licence; a zoo net's
// synthetic weights; a dropped file's name and size. Then what its model report says it takes
// and answers, so nothing on the page describes another model than the one loaded.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { bytes, dims, outputWords } from '../format.js';
import { galleryModel } from '../gallery.js';

function origin() {
  const m = state.model;
  const gallery = galleryModel(state.source.key);
  if (gallery) return [gallery.about, `Source: ${gallery.source}, ${gallery.where}; licence: ${gallery.licence}.`];
  if (m.source.kind === 'zoo') {
    return [`${m.source.arch} ${m.source.width} @${m.source.resolution} with synthetic weights, built by the engine: its memory and MACs are real, its answers would not be, so it runs no camera frames.`];
  }
  return [`Your file ${state.source.name.replace(/ \(your file\)$/, '')}, ${bytes(m.source.bytes)}, read in this browser only.`];
}

function showModel() {
  const m = state.model;
  const input = `${dims(m.input.shape)} ${m.input.dtype}${m.input.shape[3] === 1 && m.classifies_images ? ' (grayscale: the camera\'s luminance)' : ''}`;
  const [about, source] = origin();
  text('model-about-text', `${about} Input ${input}; output: ${outputWords(m)}.`);
  text('model-source', source ?? '');
  $('model-source').hidden = !source;
}

export function setupModelAbout() {
  on('model', showModel);
}
