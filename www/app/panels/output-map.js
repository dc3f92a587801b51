// A model whose first output is a map (segmentation, heat): the map of the last frame drawn as
// an image beside the picture — one channel in grey from its lowest to its highest value, more
// channels coloured by the channel that scores highest at each pixel.
import { state, on } from '../store.js';
import { $, text } from '../dom.js';
import { dims } from '../format.js';
import { drawPixels, surface } from '../draw.js';

// Channel colours for a map of several channels (class 0 is usually background: dark).
const PALETTE = [[20, 24, 32], [79, 195, 247], [240, 160, 75], [102, 187, 106], [171, 127, 224], [229, 115, 115],
  [255, 213, 79], [38, 198, 218], [236, 64, 122], [141, 110, 99]];

function mapImage(values, [, h, w, c]) {
  const image = new ImageData(w, h);
  if (c === 1) {
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of values) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    const span = hi > lo ? hi - lo : 1;
    values.forEach((v, i) => {
      const g = Math.round(((v - lo) / span) * 255);
      image.data.set([g, g, g, 255], i * 4);
    });
    return image;
  }
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let k = 1; k < c; k++) if (values[p * c + k] > values[p * c + best]) best = k;
    image.data.set([...PALETTE[best % PALETTE.length], 255], p * 4);
  }
  return image;
}

function drawMap() {
  const figure = $('map-figure');
  figure.hidden = state.model.output !== 'map';
  if (figure.hidden) return;
  const shape = state.model.outputs[0].shape;
  const values = state.run.outputs[0].dequantized;
  // A frame still in flight when the model changed answers for the previous model.
  if (values.length !== shape.reduce((a, b) => a * b, 1)) return;
  const { ctx, width } = surface($('map-canvas'));
  const [, h, w] = shape;
  const scale = width / Math.max(h, w);
  ctx.clearRect(0, 0, width, width);
  drawPixels(ctx, mapImage(values, shape), 0, 0, w * scale, h * scale);
  text('map-caption', shape[3] === 1 ? `the ${dims(shape)} output map, dark to bright: its lowest to highest value`
    : `the ${dims(shape)} output map, each pixel coloured by its highest of ${shape[3]} channels`);
}

export function setupOutputMap() {
  on('model', () => { $('map-figure').hidden = true; });
  on('frame', drawMap);
}
