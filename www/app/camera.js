// The camera (or sample photos when there is none) and the frames it feeds the runner: one
// frame in flight at a time, transferred as an ImageBitmap; the answers go out on the bus.
import { state, emit, on } from './store.js';
import { $, text, showError } from './dom.js';
import { runner } from './engine-worker.js';

const SAMPLES = ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png', 'rocket.jpg'];
// The longest side of a frame sent to the engine.
const MAX_GRAB = 1280;
// Every CHECK_EVERY-th frame also runs layer by layer and is compared tensor by tensor.
const CHECK_EVERY = 10;

/// Why the camera is not available, in words, with the way back.
const CAMERA_PROBLEMS = {
  NotAllowedError: 'Camera permission was denied: allow it (the camera icon in the address bar), then try again.',
  SecurityError: 'This page may not use the camera here (it needs https or localhost).',
  NotFoundError: 'No camera found: plug one in and try again.',
  NotReadableError: 'The camera is busy in another application: close it and try again.',
  OverconstrainedError: 'The camera cannot deliver video: try again.',
};

function cameraMessage(message, retry) {
  $('camera-message').hidden = false;
  $('camera-message').textContent = message;
  $('camera-actions').hidden = !retry;
}

export async function startCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    cameraMessage('No camera (this browser offers none): showing sample photos instead.', false);
    showSamples();
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    state.camera = video;
    $('camera-message').hidden = true;
    $('camera-actions').hidden = true;
    for (const track of stream.getVideoTracks()) {
      track.addEventListener('ended', () => {
        if (state.camera !== video) return;
        cameraMessage('The camera stopped (unplugged or taken by another application): showing sample photos; try again when it is back.', true);
        showSamples();
      });
    }
  } catch (e) {
    const why = CAMERA_PROBLEMS[e.name] ?? `The camera failed (${e.name ?? e}).`;
    cameraMessage(`No camera — ${why} Showing sample photos instead.`, true);
    showSamples();
  }
}

function showSamples() {
  const box = $('samples');
  if (!box.hidden) {
    useImage(`assets/${SAMPLES[0]}`);
    return;
  }
  box.hidden = false;
  for (const name of SAMPLES) {
    const button = document.createElement('button');
    button.textContent = name.replace(/\..*/, '');
    button.onclick = () => useImage(`assets/${name}`);
    box.append(button);
  }
  useImage(`assets/${SAMPLES[0]}`);
}

/// A photo (a sample or the user's) in place of the camera.
export function useImage(url) {
  const img = new Image();
  img.onload = () => { state.camera = img; };
  img.onerror = () => showError(`Cannot load the image ${url}`);
  img.src = url;
}

/// The camera's frame as the engine gets it: tiny, huge and portrait frames are all centre-
/// cropped to the model's input; a frame smaller than the input is said to be upscaled.
function describeFrame(width, height) {
  const [, h, w] = state.report?.input.shape ?? [];
  const notes = [];
  if (h && (width < w || height < h)) notes.push(`smaller than the network's ${w}×${h} input: upscaled, so blurry`);
  if (height > width) notes.push('portrait: the centre square is used');
  text('frame-info', `frame ${width}×${height}${notes.length ? ` — ${notes.join('; ')}` : ''}`);
}

/// Sends the current frame to the runner unless one is still in flight. Emits `frame` with
/// every answer, and `exact` and `breakage` when the answer belongs to the current plan.
export function sendFrame() {
  if (!state.model?.classifies_images || !state.runnerReady || !state.camera || state.frameInFlight) return;
  const src = state.camera;
  if (!(src.videoWidth ?? src.naturalWidth)) return;
  state.frameInFlight = true;
  const width = src.videoWidth ?? src.naturalWidth;
  const height = src.videoHeight ?? src.naturalHeight;
  describeFrame(width, height);
  // A huge frame is shrunk while it is grabbed: the engine crops and resizes it anyway.
  const shrink = Math.min(1, MAX_GRAB / Math.max(width, height));
  const size = shrink < 1 ? { resizeWidth: Math.round(width * shrink), resizeHeight: Math.round(height * shrink), resizeQuality: 'medium' } : {};
  // Every few frames the badge's check; with break-it on, every frame also runs without halos.
  const check = state.report.schedule.stages.length > 0 && state.framesShown % CHECK_EVERY === 0;
  const broken = $('break-it').checked && !$('break-it').disabled;
  const serial = state.reportSerial;
  const model = state.model;
  createImageBitmap(src, size)
    .then((bitmap) => runner.call('frame', { bitmap, check, broken }, [bitmap]))
    .then(({ run, ms, input, exact, breakage }) => {
      // Sent before another model loaded: the runner may have answered with the new model
      // (a frame queued behind its load), which is not this frame's model.
      if (model !== state.model) return;
      state.run = run;
      state.input = input;
      state.inputSerial++;
      state.ms = ms;
      state.displayed.push(performance.now());
      state.framesShown++;
      emit('frame');
      if (serial !== state.reportSerial) return;
      if (exact) {
        state.checks.frames++;
        if (!exact.equal) state.checks.differing = exact;
        emit('exact', exact);
      }
      if (breakage) emit('breakage', breakage);
    })
    .catch((e) => {
      // Likewise, a frame sent before another model loaded and refused by it is no error.
      if (e.message !== 'superseded' && model === state.model) showError(`Inference failed: ${e.message ?? e}`);
    })
    .finally(() => { state.frameInFlight = false; });
}

export function setupCamera() {
  $('camera-retry').onclick = () => startCamera();
  // The frame's description belongs to the model that ran it.
  on('model', () => text('frame-info', ''));
  // A background tab gets no animation frames: say so on return instead of a frozen page.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.hiddenAt) {
      const seconds = Math.round((performance.now() - state.hiddenAt) / 1000);
      cameraMessage(`Back after ${seconds} s in the background: frames resumed.`, false);
      state.hiddenAt = 0;
    } else if (document.visibilityState === 'hidden') {
      state.hiddenAt = performance.now();
    }
  });
}
