// The page's one store: what the engine last reported and where the player stands, plus a
// synchronous bus. Panels listen for reports and emit intents; none calls another.

export const state = {
  catalog: null, model: null, source: null,
  // The user's pixel range [lo, hi] (Settings.pixel_range), or null for the model's own rule.
  pixelRange: null,
  // A shared link's settings for a dropped model, applied when a file of that name is dropped.
  awaitedFile: null,
  report: null, reportJson: null, planError: null, reportSerial: 0, planMs: 0, planning: 0, planGeneration: 0,
  run: null, input: null, inputSerial: 0, ms: 0, runnerReady: false, verdict: '',
  camera: null, frameInFlight: false, framesShown: 0, displayed: [], hiddenAt: 0,
  // playing: the steps advance; frozen: the user paused, so the camera's frame stays too.
  playing: true, frozen: false, step: 0, stepClock: 0, lastTick: 0, animationFrames: 0, mainMs: [],
  // The key of what the step panels last drew; '' makes the next animation frame redraw.
  drawn: '',
  // Classroom mode: large type and the first screen only.
  classroom: false,
  // Why the grid changed when a split could not keep it ('' when it did not).
  gridReset: '',
  tour: -1, explain: null, explainTimer: 0, checks: { frames: 0, differing: null }, breaks: [], broken: null, map: null,
};

// Reports (the store already holds what they announce):
//   model       a model loaded
//   report      a new plan report            plan-ready  the runner runs it (or refused it)
//   explain     sweep and heat (or a wait)   map         a feasibility map, with its MCU
//   frame       a frame's verdict            exact       a frame's exactness check
//   breakage    a frame run without halos    step        the current step to draw
//   clock       the animation clock's time
// Intents (answered by the bootstrap): plan-settings, load-model, plan-map, download-plan,
// download-report, download-tflm.
const listeners = new Map();

/// Calls `listener(detail)` on every `emit(name, detail)`.
export function on(name, listener) {
  if (!listeners.has(name)) listeners.set(name, []);
  listeners.get(name).push(listener);
}

/// Calls the listeners in order, at once; an exception reaches the emitter (as a direct call would).
export function emit(name, detail) {
  for (const listener of listeners.get(name) ?? []) listener(detail);
}
