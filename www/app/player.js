// The player: the animation clock that walks the plan's steps (and grabs camera frames until
// the user pauses), play/pause and single steps. Each animation frame whose picture changed
// emits `step`, and the step panels draw the current step. A system asking for reduced motion
// gets no autoplay: the steps wait for the user, while the camera keeps answering.
import { state, emit } from './store.js';
import { $, text } from './dom.js';
import { sendFrame } from './camera.js';

function loop(now) {
  const start = performance.now();
  if (state.report) {
    const dt = state.lastTick ? now - state.lastTick : 16;
    if (!state.frozen) sendFrame();
    if (state.playing) {
      state.stepClock += (dt / 1000) * Number($('speed').value);
      const steps = Math.floor(state.stepClock);
      state.stepClock -= steps;
      state.step = (state.step + steps) % Math.max(1, state.report.patched.steps.length);
    }
    emit('clock', now);
    showStep();
  }
  state.lastTick = now;
  state.animationFrames++;
  state.mainMs.push(performance.now() - start);
  if (state.mainMs.length > 600) state.mainMs.shift();
  requestAnimationFrame(loop);
}

/// The step counters, and `step` for the panels, only when something they show changed.
function showStep() {
  const drawn = `${state.reportSerial}|${state.step}|${state.inputSerial}|${state.input ? 1 : 0}|${$('heat-overlay').checked}|${state.explain?.serial}`;
  if (drawn === state.drawn) return;
  state.drawn = drawn;
  const steps = state.report.patched.steps;
  if (!steps.length) {
    text('step-counter', 'nothing to run: the model is only its input');
    return;
  }
  const s = steps[state.step];
  text('step-counter', `step ${state.step + 1} / ${steps.length}: op ${s.op_index} ${s.op}`);
  const count = state.report.patches.filter((p) => s.patch && p.stage === s.patch.stage).length;
  text('patch-counter', s.patch
    ? `patch ${s.patch.index + 1} / ${count} (row ${s.patch.row + 1}, col ${s.patch.col + 1})`
    : 'layer by layer');
  emit('step');
}

function setPlaying(playing) {
  state.playing = playing;
  state.frozen = !playing;
  $('play').textContent = playing ? 'Pause' : 'Play';
  // At once rather than at the next animation frame, which a busy tab may not draw for a while.
  emit('clock', performance.now());
}

export function togglePlay() {
  setPlaying(!state.playing);
}

/// Pauses and moves `delta` steps, wrapping around.
export function move(delta) {
  if (!state.report) return;
  const n = Math.max(1, state.report.patched.steps.length);
  pauseAt((state.step + delta + n) % n);
}

/// Pauses on step `step` of the patch plan.
export function pauseAt(step) {
  if (!state.report) return;
  setPlaying(false);
  state.step = step;
  showStep();
}

const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/// The camera answering again after a pause, and the steps playing — unless the system asks
/// for reduced motion: then they keep waiting for the user.
export function resume() {
  if (reducedMotion()) state.frozen = false;
  else if (!state.playing) setPlaying(true);
}

export function setupPlayer() {
  $('play').onclick = togglePlay;
  $('step-next').onclick = () => move(1);
  $('step-back').onclick = () => move(-1);
  window.addEventListener('resize', () => { state.drawn = ''; });
}

export function startPlayer() {
  if (reducedMotion()) {
    state.playing = false;
    $('play').textContent = 'Play';
    $('motion-note').hidden = false;
  }
  requestAnimationFrame(loop);
}
