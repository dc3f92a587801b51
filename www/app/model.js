// Models and plans: loads a model into both workers, plans the controls' settings (a newer
// change supersedes a search still running), pins the chosen schedule in the runner, and
// asks for the explanations. Every result goes into the store and out on the bus.
import { state, emit } from './store.js';
import { $, showError, clearError, hasOption } from './dom.js';
import { EngineWorker, planner, runner } from './engine-worker.js';
import { ZOO, applySettings, fillSplits, openingSettings, settingsFromControls, zooArchitectures, zooName } from './settings.js';
import { writeHash } from './url.js';
import { galleryModel } from './gallery.js';
import { modelProblem, planProblem } from './problems.js';

/// What a model key names — a gallery model, a zoo architecture at MobileNetV2's ImageNet size
/// or `arch@WIDTHxRESOLUTION` — or null for a key the page cannot open by itself (an unknown
/// name, or a dropped file's `file:NAME`, whose bytes no link carries).
export function sourceOf(key) {
  const gallery = galleryModel(key);
  if (gallery) return { key, name: gallery.name, file: gallery.file };
  const sized = /^([\w+-]+)@([\d.]+)x(\d+)$/.exec(key ?? '');
  const [arch, width, resolution] = sized ? [sized[1], Number(sized[2]), Number(sized[3])] : [key, ZOO.width, ZOO.resolution];
  if (!zooArchitectures().includes(arch)) return null;
  return { key, arch, width, resolution, name: zooName(arch, width, resolution) };
}

/// A gallery model's bytes, fetched from assets/ (other sources carry what they need).
async function withBytes(source) {
  if (!source.file || source.bytes) return source;
  const response = await fetch(`assets/${source.file}`);
  if (!response.ok) throw new Error(`the model file assets/${source.file} is missing: run \`make web\`, which fetches the models and copies them there`);
  return { ...source, bytes: await response.arrayBuffer() };
}

/// What a worker needs to build the model: a copy of its bytes, or the zoo architecture.
const loadPayload = (source) => (source.bytes ? { bytes: source.bytes } : { arch: source.arch, width: source.width, resolution: source.resolution });

/// Loads a model into both workers: `source` is one of `sourceOf`'s, or { key, name, bytes }
/// for a dropped file. Resolves to whether it loaded (a refusal is on the error banner).
export async function loadModel(source, settings) {
  clearError();
  state.planGeneration++;
  setBusy(+1);
  try {
    source = await withBytes(source);
    if (planner.busy) planner.restart();
    const [{ model }] = await Promise.all([planner.call('load', loadPayload(source)), runner.call('load', loadPayload(source))]);
    state.source = source;
    state.model = model;
    state.report = null;
    state.runnerReady = false;
    state.run = null;
    state.input = null;
    state.verdict = '';
    state.pixelRange = null;
    if (!hasOption('model-select', source.key)) $('model-select').append(new Option(source.name, source.key));
    $('model-select').value = source.key;
    fillSplits();
    applySettings(settings ?? openingSettings(model));
    emit('model');
    setBusy(-1);
    await replan();
    return true;
  } catch (e) {
    // The previous model (if any) stays usable in both workers only if both failed alike; a
    // planner restarted for this load lost it, and gets it back.
    showError(modelProblem(source.name, e.message ?? String(e)));
    if (state.source) {
      $('model-select').value = state.source.key;
      await planner.call('load', loadPayload(state.source)).catch(() => {});
    }
    setBusy(-1);
    return false;
  }
}

function setBusy(delta) {
  state.planning += delta;
  $('busy').hidden = state.planning === 0;
  document.body.classList.toggle('planning', state.planning > 0);
}

/// The schedule a report chose, as explicit settings: the runner plans it without searching.
function pinned(report) {
  const stages = report.schedule.stages;
  return {
    ...report.settings,
    patch: stages.map((s) => `${s.rows}x${s.cols}`),
    split: stages.map((s) => `t${s.split.index}`),
    multi_stage: false,
  };
}

/// Plans the controls' settings; a newer call supersedes one still searching. Emits `report`
/// with the planner's report, then `plan-ready` once the runner runs it (or refused it).
export async function replan() {
  if (!state.model) return;
  const settings = settingsFromControls();
  writeHash(settings);
  const generation = ++state.planGeneration;
  setBusy(+1);
  try {
    if (planner.busy) {
      planner.restart();
      await planner.call('load', loadPayload(state.source));
      if (generation !== state.planGeneration) return;
    }
    const { json, view, ms } = await planner.call('plan', { settings });
    if (generation !== state.planGeneration) return;
    clearError();
    state.planError = null;
    state.report = view;
    state.reportJson = json;
    state.reportSerial++;
    state.planMs = ms;
    state.step = Math.min(state.step, Math.max(0, view.patched.steps.length - 1));
    emit('report');
    explainSoon(generation);
    if (state.model.classifies_images) {
      state.runnerReady = false;
      await runner.call('plan', { settings: pinned(view) });
      if (generation === state.planGeneration) {
        state.runnerReady = true;
        state.checks = { frames: 0, differing: null };
        state.breaks = [];
      }
    }
    emit('plan-ready');
  } catch (e) {
    if (e.message !== 'superseded' && generation === state.planGeneration) {
      state.planError = e.message ?? String(e);
      showError(planProblem(state.planError));
    }
  } finally {
    setBusy(-1);
  }
}

/// Asks the planner for the sweep and the heat of the current plan once the settings have
/// stayed put a moment (a student dragging through grids gets plans first), then for the plan
/// with each kind of halo. Emits `explain` at once (the panels say they are waiting) and again
/// with each answer.
function explainSoon(generation) {
  clearTimeout(state.explainTimer);
  emit('explain');
  state.explainTimer = setTimeout(async () => {
    if (generation !== state.planGeneration || planner.busy) return;
    const serial = state.reportSerial;
    try {
      const { sweep, heat } = await planner.call('explain');
      if (serial !== state.reportSerial) return;
      state.explain = { serial, sweep, heat, halos: null };
      emit('explain');
      if (!state.report.schedule.stages.length) return;
      const halos = await planner.call('halos', { settings: state.report.settings });
      if (serial !== state.reportSerial) return;
      state.explain.halos = halos;
      emit('explain');
    } catch (e) {
      if (e.message !== 'superseded') showError(`Cannot explain the plan: ${e.message ?? e}`);
    }
  }, 250);
}

// The feasibility map plans in a worker of its own: it needs no model.
let mapper = null;

/// Plans every width × resolution of `request.arch` on an MCU; emits `map` with the answer.
export async function planMap(request) {
  mapper ??= new EngineWorker();
  if (mapper.busy) mapper.restart();
  try {
    const { map } = await mapper.call('feasibility', request);
    emit('map', { map, mcu: request.settings.mcu });
  } catch (e) {
    if (e.message !== 'superseded') showError(`Cannot plan the feasibility map: ${e.message ?? e}`);
  }
}
