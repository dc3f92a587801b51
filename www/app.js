// The page: camera → engine (wasm, in Web Workers) → verdict, and the plan drawn as patches,
// an arena picture, a live-bytes curve and per-block bars. Everything it shows comes from the
// engine's reports (catalog, ModelReport, PlanReport, RunReport); it computes nothing of its own.
// The main thread only grabs frames and draws: one worker plans, another runs frames, so the
// camera keeps going while a plan is being searched.

const $ = (id) => document.getElementById(id);
/// Sets an element's text only when it changes (no needless layout while playing).
function text(id, value) {
  const el = $(id);
  if (el.textContent !== value) el.textContent = value;
}

const colours = new Map();
/// A CSS custom property's value, read once.
const css = (name) => {
  if (!colours.has(name)) colours.set(name, getComputedStyle(document.documentElement).getPropertyValue(name).trim());
  return colours.get(name);
};
const KIND_COLOR = {
  'input': '--input', 'input-tile': '--input', 'activation': '--activation', 'patch-tile': '--tile',
  'stage-output': '--stage', 'scratch': '--scratch', 'output': '--output',
};
const SAMPLES = ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png', 'rocket.jpg'];
const BUNDLED_MODEL = 'assets/visual_wake_words.tflite';
// Zoo nets are built at MobileNetV2's ImageNet size.
const ZOO = { width: 1.0, resolution: 224 };
// Settings switches: control id → Settings field → CLI flag and URL-hash key.
const SWITCHES = [
  ['streamed', 'streamed_input', 'streamed-input'],
  ['inplace-dw', 'in_place_depthwise', 'in-place-depthwise'],
  ['inplace-pw', 'in_place_pointwise', 'in-place-pointwise'],
  ['inplace-add', 'in_place_add', 'in-place-add'],
  ['multi-stage', 'multi_stage', 'multi-stage'],
  ['float-input', 'float_input', 'float-input'],
];
const CUSTOM_SRAM = 20 * 1024;
// The on-MCU latency estimate's one measured source: MLPerf Tiny v0.5's closed-division
// reference submission (github.com/mlcommons/tiny_results_v0.5, closed/reference), VWW on a
// Nucleo-L4R5ZI (Cortex-M4 at 120 MHz, TFLite Micro 2.3.1): median 1.665 inferences/s for
// this same MobileNetV1-0.25 model, whose 7 489 664 MACs the engine counts.
const MCU_REFERENCE = (() => {
  const [throughput, mhz, macs] = [1.665, 120, 7_489_664];
  return { mhz, cyclesPerMac: (mhz * 1e6) / throughput / macs };
})();
// The longest side of a frame sent to the engine.
const MAX_GRAB = 1280;

const state = {
  catalog: null, model: null, source: null, modelLabel: '',
  report: null, run: null, input: null, planning: 0, planGeneration: 0, runnerReady: false,
  playing: true, step: 0, stepClock: 0, lastTick: 0,
  camera: null, frameInFlight: false,
  tour: -1, displayed: [], framesShown: 0, verdict: '', reportSerial: 0, inputSerial: 0, drawn: '', mainMs: [],
  explain: null, checks: { frames: 0, differing: null }, breaks: [], map: null, animationFrames: 0,
};

// ---- the engine in workers ----------------------------------------------------------

/// A module worker holding one wasm Session; `call` returns the worker's answer.
class EngineWorker {
  constructor() {
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.waiting = new Map();
    this.nextId = 0;
    this.worker.onmessage = ({ data }) => {
      const done = this.waiting.get(data.id);
      this.waiting.delete(data.id);
      done?.(data);
    };
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.failAll(`the engine stopped: ${e.message ?? 'worker error'}`);
    };
  }

  failAll(error) {
    for (const done of this.waiting.values()) done({ ok: false, error });
    this.waiting.clear();
  }

  get busy() {
    return this.waiting.size > 0;
  }

  call(type, payload = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (data) => (data.ok ? resolve(data) : reject(Object.assign(new Error(data.error), { data }))));
      this.worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  /// Drops whatever it is doing (a search superseded by newer settings) and starts afresh.
  restart() {
    this.worker.terminate();
    this.failAll('superseded');
    this.start();
  }
}

const planner = new EngineWorker();
const runner = new EngineWorker();

function showError(message) {
  const banner = $('error-banner');
  banner.textContent = message;
  banner.hidden = false;
}

function clearError() {
  $('error-banner').hidden = true;
}

// ---- settings: controls, URL hash, CLI flags ------------------------------------------

function settingsFromControls() {
  const mcu = $('mcu-select').value;
  const patch = $('patch-select').value;
  const split = $('split-select').value;
  const settings = {
    mcu: mcu === 'custom' ? null : mcu,
    sram: mcu === 'custom' ? Number($('sram-custom').value) : null,
    patch: patch ? [patch] : [],
    split: split ? [split] : [],
    pixel_range: state.model?.suggested.pixel_range ?? [0, 255],
  };
  for (const [id, field] of SWITCHES) settings[field] = $(id).checked;
  return settings;
}

function applySettings(s) {
  if (s.mcu) $('mcu-select').value = s.mcu;
  else if (s.sram) {
    $('mcu-select').value = 'custom';
    $('sram-custom').value = s.sram;
  }
  $('sram-label').hidden = $('mcu-select').value !== 'custom';
  fillGrids(s.split?.[0] ?? '');
  $('split-select').value = hasOption('split-select', s.split?.[0]) ? s.split[0] : '';
  fillGrids($('split-select').value);
  $('patch-select').value = hasOption('patch-select', s.patch?.[0]) ? s.patch[0] : '';
  for (const [id, field] of SWITCHES) $(id).checked = Boolean(s[field]);
}

const hasOption = (id, value) => value !== undefined && [...$(id).options].some((o) => o.value === value);

/// The settings as the hash of a shareable URL: the CLI's flag names.
function writeHash(settings) {
  const params = new URLSearchParams();
  params.set('model', state.source?.key ?? 'vww');
  if (settings.mcu) params.set('mcu', settings.mcu);
  if (settings.sram) params.set('sram', settings.sram);
  for (const p of settings.patch) params.append('patch', p);
  for (const s of settings.split) params.append('split', s);
  for (const [, field, flag] of SWITCHES) if (settings[field]) params.set(flag, '');
  if (state.tour >= 0) params.set('tour', state.tour + 1);
  history.replaceState(null, '', `#${params.toString().replace(/=(?=&|$)/g, '')}`);
}

function readHash() {
  if (location.hash.length < 2) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  const settings = {
    mcu: params.get('mcu'),
    sram: params.has('sram') ? Number(params.get('sram')) : null,
    patch: params.getAll('patch'),
    split: params.getAll('split'),
  };
  for (const [, field, flag] of SWITCHES) settings[field] = params.has(flag);
  return { model: params.get('model') ?? 'vww', settings, tour: Number(params.get('tour') ?? 0) - 1 };
}

/// The same settings as flags of `mcupatch plan` (shown to the user, used by the tests).
function cliFlags(settings) {
  const flags = [];
  if (settings.mcu) flags.push('--mcu', settings.mcu);
  if (settings.sram) flags.push('--sram', String(settings.sram));
  for (const p of settings.patch) flags.push('--patch', p);
  for (const s of settings.split) flags.push('--split', s);
  for (const [, field, flag] of SWITCHES) if (settings[field]) flags.push(`--${flag}`);
  return flags;
}

// ---- model and plan -------------------------------------------------------------------

function fillCatalog() {
  const models = $('model-select');
  models.append(new Option('Visual Wake Words (person detector)', 'vww'));
  for (const arch of state.catalog.architectures) {
    models.append(new Option(`${arch} ${ZOO.width} @${ZOO.resolution} (synthetic weights: memory only)`, arch));
  }
  const mcus = $('mcu-select');
  for (const m of state.catalog.mcus) {
    mcus.append(new Option(`${m.name} · ${m.sram / 1024} KiB SRAM · ${m.flash / 1024} KiB Flash`, m.name));
  }
  mcus.append(new Option('custom SRAM…', 'custom'));
  mcus.value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
}

/// Loads a model into both workers: `source` is { key, bytes } or { key, arch, width, resolution }.
async function loadModel(source, settings) {
  clearError();
  state.planGeneration++;
  setBusy(+1);
  try {
    if (planner.busy) planner.restart();
    const [{ model }] = await Promise.all([planner.call('load', loadPayload(source)), runner.call('load', loadPayload(source))]);
    state.source = source;
    state.model = model;
    state.report = null;
    state.runnerReady = false;
    state.run = null;
    state.input = null;
    state.verdict = '';
    if (!hasOption('model-select', source.key)) $('model-select').append(new Option(source.name, source.key));
    $('model-select').value = source.key;
    fillSplits();
    applySettings(settings ?? { ...model.suggested, mcu: undefined, sram: undefined });
    setBusy(-1);
    await replan();
  } catch (e) {
    setBusy(-1);
    // The previous model (if any) stays usable in both workers only if both failed alike.
    showError(`Cannot use this model: ${e.message ?? e}`);
    if (state.source) $('model-select').value = state.source.key;
  }
}

/// What a worker needs to build the model: a copy of its bytes, or the zoo architecture.
const loadPayload = (source) => (source.bytes ? { bytes: source.bytes } : { arch: source.arch, width: source.width, resolution: source.resolution });

/// `vww`, a zoo architecture at MobileNetV2's ImageNet size, or `arch@WIDTHxRESOLUTION`.
async function modelSource(key) {
  const sized = /^([\w+-]+)@([\d.]+)x(\d+)$/.exec(key);
  if (sized) {
    const [, arch, width, resolution] = sized;
    return { key, arch, width: Number(width), resolution: Number(resolution), name: `${arch} ${width} @${resolution} (synthetic weights)` };
  }
  if (key !== 'vww') return { key, arch: key, ...ZOO };
  const response = await fetch(BUNDLED_MODEL);
  if (!response.ok) throw new Error('the bundled model is missing: run `make demo`');
  return { key, bytes: await response.arrayBuffer() };
}

function fillSplits() {
  const select = $('split-select');
  select.innerHTML = '';
  select.append(new Option("planner's choice", ''));
  for (const s of state.model.splits) {
    select.append(new Option(`after op ${s.op}: ${s.shape.slice(1).join('×')} (${shortName(s.name)})`, `t${s.tensor}`));
  }
}

/// Grid choices: square grids up to the chosen split's limits (or the finest any split allows).
function fillGrids(split) {
  const select = $('patch-select');
  const previous = select.value;
  const limit = (s) => Math.min(s.max_rows, s.max_cols);
  const chosen = state.model.splits.find((s) => `t${s.tensor}` === split);
  const max = chosen ? limit(chosen) : Math.max(0, ...state.model.splits.map(limit));
  select.innerHTML = '';
  select.append(new Option('layer by layer', ''));
  if (state.model.splits.length) select.append(new Option('auto (planner)', 'auto'));
  for (let n = 1; n <= Math.min(max, state.catalog.max_grid); n++) select.append(new Option(`${n}×${n}`, `${n}x${n}`));
  select.value = hasOption('patch-select', previous) ? previous : '';
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

/// Plans the controls' settings; a newer call supersedes one still searching.
async function replan() {
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
    state.report = view;
    state.reportJson = json;
    state.reportSerial++;
    state.planMs = ms;
    state.step = Math.min(state.step, Math.max(0, view.patched.steps.length - 1));
    renderNumbers();
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
    renderBadge(null);
    renderBreakSwitch();
  } catch (e) {
    if (e.message !== 'superseded' && generation === state.planGeneration) showError(`Cannot plan: ${e.message ?? e}`);
  } finally {
    setBusy(-1);
  }
}

function bytes(n) {
  return `${n.toLocaleString('en')} B`;
}

function renderNumbers() {
  const r = state.report;
  const p = r.patched;
  const l = r.layer_by_layer;
  $('peak-bytes').textContent = p.peak.bytes;
  // The SRAM may fit while the weights do not fit the Flash: then the board does not run it.
  const flashShort = r.board.fits_flash === false;
  $('fits').textContent = !r.board.fits_sram ? `does not fit ${bytes(r.board.sram)}`
    : flashShort ? `does not fit: the weights need ${kib(r.board.flash_needed)} of Flash, the board has ${kib(r.board.flash)} (the SRAM fits)` : `fits ${bytes(r.board.sram)}`;
  $('fits').className = r.board.fits_sram && !flashShort ? 'ok' : 'no';
  $('lbl-bytes').textContent = l.peak.bytes;
  $('saving').textContent = r.schedule.stages.length ? `${(l.peak.bytes / p.peak.bytes).toFixed(2)}× less` : 'the same plan';
  $('macs').textContent = p.macs.toLocaleString('en');
  const sign = p.overhead >= 0 ? '+' : '−';
  $('overhead').textContent = `${sign}${Math.abs(p.overhead * 100).toFixed(1)} %`;
  $('input-patch').textContent = p.input_patch ? p.input_patch.join('×') : '—';
  $('input-patch').title = 'the largest input region one patch reads';
  $('peak-where').textContent = `op ${p.peak.op} ${p.peak.op_name}${patchText(p.peak.patch)}`;
  const b = r.board;
  const flash = b.flash == null ? 'Flash size unknown' : `Flash ${bytes(b.flash_needed)} of ${bytes(b.flash)}${b.fits_flash ? '' : ' — does not fit'}`;
  $('board').textContent = `${b.mcu ? b.mcu.name : 'custom'}: SRAM ${bytes(b.sram_needed)} of ${bytes(b.sram)} · ${flash}`;
  const ms = (p.macs * MCU_REFERENCE.cyclesPerMac) / (MCU_REFERENCE.mhz * 1000);
  text('mcu-estimate', `≈ ${ms.toFixed(1)} ms per inference on a ${MCU_REFERENCE.mhz} MHz Cortex-M4 (estimate: ${p.macs.toLocaleString('en')} MACs × ${MCU_REFERENCE.cyclesPerMac.toFixed(2)} cycles per MAC, any op)`);
  const notes = $('notes');
  notes.innerHTML = '';
  for (const n of r.notes) notes.append(Object.assign(document.createElement('li'), { textContent: n }));
  if (!state.model.classifies_images) {
    text('verdict', '—');
    text('verdict-live', '');
    $('verdict').className = '';
    text('probability', state.model.source.kind === 'zoo'
      ? 'synthetic weights: memory and MACs only' : 'this page runs image models; use the CLI');
    text('ms', '– ms');
    text('fps', '– fps');
  }
  text('lbl-peak', `peak ${bytes(l.peak.bytes)} at op ${l.peak.op} ${l.peak.op_name}`);
  text('patched-peak', `peak ${bytes(p.peak.bytes)} at op ${p.peak.op} ${p.peak.op_name}${patchText(p.peak.patch)}`);
  fillLiveList('lbl-live', l);
  fillLiveList('patched-live', p);
  fillOpStrip();
  drawBlocks();
}

const patchText = (patch) => (patch ? `, stage ${patch.stage + 1} patch ${patch.row + 1},${patch.col + 1}` : '');

// ---- camera and samples ---------------------------------------------------------------

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

async function startCamera() {
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

/// The camera's frame as the engine gets it: tiny, huge and portrait frames are all centre-
/// cropped to the model's input; a frame smaller than the input is said to be upscaled.
function describeFrame(width, height) {
  const [, h, w] = state.report?.input.shape ?? [];
  const notes = [];
  if (h && (width < w || height < h)) notes.push(`smaller than the network's ${w}×${h} input: upscaled, so blurry`);
  if (height > width) notes.push('portrait: the centre square is used');
  text('frame-info', `frame ${width}×${height}${notes.length ? ` — ${notes.join('; ')}` : ''}`);
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

function useImage(url) {
  const img = new Image();
  img.onload = () => { state.camera = img; };
  img.onerror = () => showError(`Cannot load the image ${url}`);
  img.src = url;
}

/// Sends the current frame to the runner (as a transferred ImageBitmap) unless one is still
/// in flight.
function sendFrame() {
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
  createImageBitmap(src, size)
    .then((bitmap) => runner.call('frame', { bitmap, check, broken }, [bitmap]))
    .then(({ run, ms, input, exact, breakage }) => {
      state.run = run;
      state.input = input;
      state.inputSerial++;
      state.ms = ms;
      state.displayed.push(performance.now());
      state.framesShown++;
      showVerdict();
      if (serial !== state.reportSerial) return;
      if (exact) renderBadge(exact);
      if (breakage) renderBreak(breakage);
    })
    .catch((e) => {
      if (e.message !== 'superseded') showError(`Inference failed: ${e.message ?? e}`);
    })
    .finally(() => { state.frameInFlight = false; });
}

function showVerdict() {
  const run = state.run;
  const verdict = $('verdict');
  verdict.textContent = run.label;
  verdict.className = run.label === 'person' ? 'person' : run.label === 'no person' ? 'no-person' : '';
  // Announce only a change, not every frame.
  if (run.label !== state.verdict) $('verdict-live').textContent = run.label;
  state.verdict = run.label;
  text('probability', `${run.label} ${run.score.toFixed(2)}`);
  text('ms', `${state.ms.toFixed(1)} ms`);
}

// ---- drawing ------------------------------------------------------------------------

/// A canvas sized to its CSS box at the display's pixel ratio; draws in CSS pixels.
function surface(canvas) {
  const ratio = window.devicePixelRatio || 1;
  // Sizes come from a ResizeObserver: reading layout every frame would force it.
  if (!canvas.cssSize) {
    canvas.cssSize = canvas.getBoundingClientRect();
    new ResizeObserver(([entry]) => {
      canvas.cssSize = entry.contentRect;
      state.drawn = '';
      if (state.report) canvas.redraw?.();
    }).observe(canvas);
  }
  const { width, height } = canvas.cssSize;
  const w = Math.max(1, Math.round(width * ratio));
  const h = Math.max(1, Math.round(height * ratio));
  if (canvas.width !== w || canvas.height !== h) Object.assign(canvas, { width: w, height: h });
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.font = '12px system-ui, sans-serif';
  return { ctx, width, height, ratio };
}

/// The network's input as pixels: real = scale × (q − zero point) for int8, then mapped from
/// the settings' pixel range back to 0..255.
function inputImage() {
  const t = state.report.input;
  const [, h, w, c] = t.shape;
  const raw = state.input;
  if (!raw || c !== 3) return null;
  const values = t.dtype === 'float32' ? new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4) : new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (values.length !== h * w * 3) return null;
  const [lo, hi] = state.report.settings.pixel_range;
  const q = t.quant ?? { scale: 1, zero_point: 0 };
  const real = t.dtype === 'float32' ? (v) => v : (v) => q.scale * (v - q.zero_point);
  const image = new ImageData(w, h);
  for (let i = 0, j = 0; i < values.length; i += 3, j += 4) {
    for (let k = 0; k < 3; k++) image.data[j + k] = ((real(values[i + k]) - lo) / (hi - lo)) * 255;
    image.data[j + 3] = 255;
  }
  return image;
}

function drawInput() {
  const { ctx, width } = surface($('input-canvas'));
  const [, h, w] = state.report.input.shape;
  const scale = width / Math.max(h, w);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, width, width);
  const image = state.model.classifies_images ? inputImage() : null;
  if (image) {
    const tmp = new OffscreenCanvas(image.width, image.height);
    tmp.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
  } else {
    ctx.fillStyle = css('--muted');
    const why = state.model.classifies_images ? 'waiting for a frame…'
      : state.model.source.kind === 'zoo' ? 'synthetic weights: no camera inference' : 'not an image model: use the CLI';
    ctx.fillText(why, 12, 20);
  }
  const heat = $('heat-overlay').checked && state.explain?.serial === state.reportSerial ? state.explain.heat.inputs?.[0] : null;
  if (heat && heat.height === h && heat.width === w) ctx.drawImage(heatLayer(heat), 0, 0, w * scale, h * scale);
  // Every first-stage patch's tile as a faint grid (its split-map tile drawn at input scale);
  // the current patch's halo (the input region it reads) shaded, its tile outlined.
  const current = state.report.patched.steps[state.step]?.patch;
  const stage = state.report.schedule.stages[0];
  const box = (r, k) => [r.x0 * k, r.y0 * k, (r.x1 - r.x0) * k, (r.y1 - r.y0) * k];
  const tileScale = stage ? (h / stage.split.shape[1]) * scale : scale;
  for (const p of state.report.patches.filter((q) => q.stage === 0)) {
    ctx.strokeStyle = 'rgba(255,255,255,0.35)';
    ctx.lineWidth = 1;
    ctx.strokeRect(...box(p.tile, tileScale));
    if (!current || current.stage !== 0 || current.index !== p.index) continue;
    ctx.fillStyle = 'rgba(240, 160, 75, 0.3)';
    ctx.fillRect(...box(p.input, scale));
    ctx.strokeStyle = css('--tile');
    ctx.lineWidth = 2;
    ctx.strokeRect(...box(p.input, scale));
    ctx.strokeStyle = css('--stage');
    ctx.lineWidth = 2.5;
    ctx.strokeRect(...box(p.tile, tileScale));
  }
  // Later stages' grids (two-stage plans), dashed: their tiles over their own split maps.
  ctx.setLineDash([4, 3]);
  for (const p of state.report.patches.filter((q) => q.stage > 0)) {
    const stages = state.report.schedule.stages;
    const own = current && current.stage === p.stage && current.index === p.index;
    if (own) {
      // Its halo lies in the previous stage's split map.
      ctx.fillStyle = 'rgba(255,255,255,0.25)';
      ctx.fillRect(...box(p.input, (h / stages[p.stage - 1].split.shape[1]) * scale));
    }
    ctx.strokeStyle = own ? '#fff' : 'rgba(102,187,106,0.8)';
    ctx.lineWidth = own ? 2 : 1.5;
    ctx.strokeRect(...box(p.tile, (h / stages[p.stage].split.shape[1]) * scale));
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 1;
}

/// Draws `paint` once per report and canvas size into an offscreen layer, then copies that
/// layer onto the canvas: per frame only the cursor and the live buffers are drawn anew.
function layered(canvas, paint) {
  const surf = surface(canvas);
  const id = `${state.reportSerial}|${canvas.width}x${canvas.height}`;
  if (canvas.layer?.id !== id) {
    const off = new OffscreenCanvas(canvas.width, canvas.height);
    const ctx = off.getContext('2d');
    ctx.setTransform(surf.ratio, 0, 0, surf.ratio, 0, 0);
    ctx.font = surf.ctx.font;
    paint(ctx, surf.width, surf.height);
    canvas.layer = { id, off };
  }
  surf.ctx.setTransform(1, 0, 0, 1, 0, 0);
  surf.ctx.clearRect(0, 0, canvas.width, canvas.height);
  surf.ctx.drawImage(canvas.layer.off, 0, 0);
  surf.ctx.setTransform(surf.ratio, 0, 0, surf.ratio, 0, 0);
  return surf;
}

/// The step of `arena` that runs the same op as the patch plan's current step (layer by
/// layer has one step per op): the two arenas step together.
function companionStep(arena) {
  const op = state.report.patched.steps[state.step]?.op_index;
  const i = arena.steps.findIndex((st) => st.op_index === op);
  return i >= 0 ? i : Math.round((state.step / Math.max(1, state.report.patched.steps.length)) * arena.steps.length);
}

/// One arena: buffers by address (up) and step (across, the plan's steps stretched to the
/// width), on the address scale both arenas share; the SRAM and this plan's peak marked.
function drawArena(canvas, arena, step) {
  const { layer_by_layer: lbl, patched, board } = state.report;
  const top = Math.max(board.sram, lbl.peak.bytes, patched.peak.bytes) * 1.05;
  const steps = arena.steps;
  const left = 52;
  let x, y;
  const scales = (width, height) => {
    x = (i) => left + (i / Math.max(1, steps.length)) * (width - left - 6);
    y = (b) => height - 18 - (b / top) * (height - 28);
  };
  const rect = (ctx, b) => ctx.fillRect(x(b.first), y(b.offset + b.bytes), Math.max(1, x(b.last + 1) - x(b.first)), Math.max(1, y(b.offset) - y(b.offset + b.bytes)));
  const { ctx, width, height } = layered(canvas, (ctx, width, height) => {
    scales(width, height);
    axis(ctx, y, top, left, width);
    ctx.globalAlpha = 0.4;
    for (const b of arena.buffers) {
      ctx.fillStyle = css(KIND_COLOR[b.kind] ?? '--activation');
      rect(ctx, b);
    }
    ctx.globalAlpha = 1;
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(board.sram)); ctx.lineTo(width, y(board.sram)); ctx.stroke();
    ctx.strokeStyle = '#ffd54f';
    ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(left, y(arena.peak.bytes)); ctx.lineTo(width, y(arena.peak.bytes)); ctx.stroke();
    ctx.setLineDash([]);
    label(ctx, `SRAM ${kib(board.sram)}`, width - 110, y(board.sram) - 4, '#ff8a80');
    ctx.fillStyle = css('--muted');
    ctx.fillText(`steps 1…${steps.length} →`, left, height - 4);
  });
  scales(width, height);
  for (const b of arena.buffers) {
    if (b.first > step || step > b.last) continue;
    ctx.fillStyle = css(KIND_COLOR[b.kind] ?? '--activation');
    rect(ctx, b);
  }
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(step + 0.5), 0); ctx.lineTo(x(step + 0.5), height - 18); ctx.stroke();
  // For hover and tap: the inverse of the scales.
  canvas.hit = { arena, step: (px) => Math.floor(((px - left) / (width - left - 6)) * steps.length), byte: (py) => ((height - 18 - py) / (height - 28)) * top };
}

const kib = (n) => (n < 10240 ? bytes(n) : `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB`);

/// The buffer under the pointer, described.
function bufferTip(event) {
  const canvas = event.currentTarget;
  const tip = $('buffer-tip');
  const hit = canvas.hit;
  if (!hit) return;
  const box = canvas.getBoundingClientRect();
  const step = hit.step(event.clientX - box.left);
  const byte = hit.byte(event.clientY - box.top);
  const b = hit.arena.buffers.find((x) => x.first <= step && step <= x.last && x.offset <= byte && byte < x.offset + x.bytes);
  if (!b) {
    tip.hidden = true;
    return;
  }
  const ops = hit.arena.steps;
  const region = b.region ? ` · rows ${b.region.y0}–${b.region.y1 - 1}, cols ${b.region.x0}–${b.region.x1 - 1}` : '';
  tip.textContent = `${b.name} · ${b.kind} · ${b.shape.join('×')} · ${bytes(b.bytes)} at offset ${b.offset} · alive steps ${b.first + 1}–${b.last + 1} (op ${ops[b.first]?.op_index} ${ops[b.first]?.op} → op ${ops[b.last]?.op_index} ${ops[b.last]?.op})${region}`;
  tip.hidden = false;
  tip.style.left = `${Math.min(event.pageX + 12, document.documentElement.clientWidth - 320)}px`;
  tip.style.top = `${event.pageY + 14}px`;
}

/// The buffers live at an arena's peak, lowest address first, as the report lists them.
function fillLiveList(id, arena) {
  const list = $(id);
  list.innerHTML = '';
  for (const b of arena.peak.buffers) {
    const li = document.createElement('li');
    li.innerHTML = '<i></i><span class="name"></span> <span class="dim"></span>';
    li.querySelector('i').style.background = `var(${KIND_COLOR[b.kind] ?? '--activation'})`;
    li.querySelector('.name').textContent = shortName(b.name);
    li.querySelector('.name').title = b.name;
    li.querySelector('.dim').textContent = `${b.shape.join('×')} · ${bytes(b.bytes)} · ${b.kind}`;
    list.append(li);
  }
}

/// TFLite names are paths of fused ops: the last meaningful part.
const shortName = (name) => name.split(';')[0].split('/').slice(-2).join('/');

/// The network's ops in a row: the patch stages shaded, the split ops outlined, the current
/// op marked. Built once per report; the current op moves per step.
function fillOpStrip() {
  const strip = $('op-strip');
  strip.innerHTML = '';
  const { ops, schedule, patched } = state.report;
  const stageOf = new Map();
  for (const st of patched.steps) if (st.patch) stageOf.set(st.op_index, st.patch.stage);
  const splits = new Set(schedule.stages.map((st) => st.split_op));
  for (const op of ops) {
    const cell = document.createElement('span');
    cell.className = `op${stageOf.has(op.index) ? ` stage${stageOf.get(op.index)}` : ''}${splits.has(op.index) ? ' split' : ''}${op.scheduled ? '' : ' skipped'}`;
    cell.title = `op ${op.index} ${op.op} (${op.block}): ${op.outputs.map((o) => o.join('×')).join(', ')} · ${op.macs.toLocaleString('en')} MACs${op.plan_macs !== op.macs ? `, ${op.plan_macs.toLocaleString('en')} in this plan` : ''}`;
    cell.textContent = op.op.replace('DEPTHWISE_CONV_2D', 'DW').replace('CONV_2D', 'CONV').replace('AVERAGE_POOL_2D', 'POOL').slice(0, 5);
    cell.dataset.op = op.index;
    strip.append(cell);
  }
  const text = schedule.stages.length
    ? schedule.stages.map((st, i) => `stage ${i + 1}: ${st.rows}×${st.cols} patches up to op ${st.split_op}, whose output ${st.split.shape.slice(1).join('×')} (${kib(st.split.bytes)}) is the split`).join('; ')
    : 'layer by layer: no patch stage, every op computes its whole output at once';
  $('strip-explain').textContent = `${text}. Shaded ops run patch by patch; the outlined op writes the split tensor.`;
}

function markOp() {
  const op = state.report.patched.steps[state.step]?.op_index;
  const strip = $('op-strip');
  if (strip.marked === op) return;
  strip.querySelector('.current')?.classList.remove('current');
  strip.querySelector(`[data-op="${op}"]`)?.classList.add('current');
  strip.marked = op;
}

/// Places maps left to right, wrapping onto more rows on a narrow screen, each row as tall as
/// its tallest map plus room for labels `above` and `below` it: where each map's top-left
/// goes (`x0`, `top`) and the height all rows need.
function flow(maps, width, { w, h, above, below }) {
  const rows = [[]];
  let x = 4;
  for (const m of maps) {
    if (x + w(m) > width && x > 4) {
      rows.push([]);
      x = 4;
    }
    rows[rows.length - 1].push({ m, x0: x });
    x += w(m);
  }
  const placed = [];
  let total = 0;
  for (const row of rows) {
    for (const at of row) placed.push({ ...at, top: total + above });
    total += above + Math.max(...row.map((at) => h(at.m))) + below;
  }
  return { placed, total };
}

/// The current patch's computed region in every feature map of its stage, to scale.
function drawPyramid() {
  const { ctx, width, height } = surface($('pyramid-canvas'));
  ctx.clearRect(0, 0, width, height);
  const { patched, ops, patches } = state.report;
  const current = patched.steps[state.step];
  ctx.fillStyle = css('--muted');
  const canvas = $('pyramid-canvas');
  canvas.layout = null;
  if (!current?.patch) {
    ctx.fillText(state.report.schedule.stages.length ? 'this step runs after the patch stage: the whole map at once' : 'layer by layer: no patches, no halos', 8, 16);
    return;
  }
  const mine = patched.steps.filter((st) => st.patch && st.patch.stage === current.patch.stage && st.patch.index === current.patch.index && st.region);
  const regions = patches.find((p) => p.stage === current.patch.stage && p.index === current.patch.index);
  const maps = [];
  if (current.patch.stage === 0 && regions) {
    const [, h, w] = state.report.input.shape;
    maps.push({ label: 'input', h, w, region: regions.input });
  }
  for (const st of mine) {
    const shape = ops[st.op_index].outputs[0] ?? [];
    maps.push({ label: `op ${st.op_index}`, h: shape[1], w: shape[2], region: st.region, current: st === current, tile: st === mine[mine.length - 1] ? regions?.tile : null });
  }
  // Maps to scale, left to right, wrapping onto more rows on a narrow screen; each gets at
  // least a label's width.
  const scale = 96 / Math.max(...maps.map((m) => m.h));
  const { placed, total } = flow(maps, width, { w: (m) => Math.max(m.w * scale + 10, 66), h: (m) => m.h * scale, above: 16, below: 32 });
  if (Math.abs(height - total) > 1) {
    canvas.style.height = `${total}px`;
    return; // the ResizeObserver redraws at the new height
  }
  for (const { m, x0, top } of placed) {
    ctx.fillStyle = '#0d1117';
    ctx.fillRect(x0, top, m.w * scale, m.h * scale);
    ctx.strokeStyle = 'rgba(255,255,255,0.3)';
    ctx.strokeRect(x0, top, m.w * scale, m.h * scale);
    const r = m.region;
    ctx.fillStyle = m.current ? 'rgba(240,160,75,0.9)' : 'rgba(240,160,75,0.55)';
    ctx.fillRect(x0 + r.x0 * scale, top + r.y0 * scale, (r.x1 - r.x0) * scale, (r.y1 - r.y0) * scale);
    if (m.tile) {
      ctx.strokeStyle = css('--stage');
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + m.tile.x0 * scale, top + m.tile.y0 * scale, (m.tile.x1 - m.tile.x0) * scale, (m.tile.y1 - m.tile.y0) * scale);
      ctx.lineWidth = 1;
    }
    ctx.fillStyle = m.current ? css('--text') : css('--muted');
    ctx.fillText(m.label, x0, top - 4);
    ctx.fillText(`${r.y1 - r.y0}×${r.x1 - r.x0}`, x0, top + m.h * scale + 13);
    ctx.fillText(`of ${m.h}×${m.w}`, x0, top + m.h * scale + 26);
  }
  // Where each map went, for tests that read the drawn regions back from the pixels.
  canvas.layout = { scale, maps: placed.map(({ m, x0, top }) => ({ label: m.label, h: m.h, w: m.w, tile: m.tile ?? null, x0, top })) };
}

/// Byte ticks on the left of a chart.
function axis(ctx, y, top, left, width) {
  const step = niceStep(top / 4);
  ctx.fillStyle = css('--muted');
  ctx.strokeStyle = 'rgba(255,255,255,0.12)';
  ctx.textAlign = 'right';
  for (let v = 0; v <= top; v += step) {
    ctx.fillText(`${Math.round(v / 1024)} KiB`, left - 4, y(v) + 4);
    ctx.beginPath(); ctx.moveTo(left, y(v)); ctx.lineTo(width, y(v)); ctx.stroke();
  }
  ctx.textAlign = 'left';
}

function niceStep(raw) {
  const power = 1024 * 2 ** Math.max(0, Math.ceil(Math.log2(raw / 1024)));
  return power;
}

function label(ctx, text, x, y, color) {
  const w = ctx.measureText(text).width;
  ctx.fillStyle = 'rgba(16,20,27,0.85)';
  ctx.fillRect(x - 2, y - 11, w + 4, 14);
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
}

function drawLive() {
  const { patched, board } = state.report;
  const steps = patched.steps;
  const top = Math.max(board.sram, patched.peak.bytes) * 1.05;
  const left = 48;
  let x, y;
  const scales = (width, height) => {
    x = (i) => left + (i / Math.max(1, steps.length - 1)) * (width - left - 6);
    y = (b) => height - 6 - (b / top) * (height - 12);
  };
  const { ctx, width, height } = layered($('live-canvas'), (ctx, width, height) => {
    scales(width, height);
    axis(ctx, y, top, left, width);
    ctx.strokeStyle = css('--accent');
    ctx.beginPath();
    steps.forEach((st, i) => (i ? ctx.lineTo(x(i), y(st.live_bytes)) : ctx.moveTo(x(i), y(st.live_bytes))));
    ctx.stroke();
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(board.sram)); ctx.lineTo(width, y(board.sram)); ctx.stroke();
    const peak = patched.peak.step;
    if (steps[peak]) {
      ctx.fillStyle = '#ffd54f';
      ctx.beginPath(); ctx.arc(x(peak), y(steps[peak].extent), 4, 0, 7); ctx.fill();
    }
    const text = `peak ${bytes(patched.peak.bytes)} at op ${patched.peak.op} ${patched.peak.op_name}${patchText(patched.peak.patch)}`;
    label(ctx, text, Math.max(left, Math.min(x(peak) + 6, width - ctx.measureText(text).width - 4)), 12, '#ffd54f');
  });
  scales(width, height);
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(state.step), 0); ctx.lineTo(x(state.step), height); ctx.stroke();
}

function drawBlocks() {
  const { ctx, width, height } = surface($('blocks-canvas'));
  const blocks = state.report.blocks;
  ctx.clearRect(0, 0, width, height);
  if (!blocks.length) return;
  const top = Math.max(...blocks.map((b) => b.layer_by_layer)) * 1.08;
  const left = 48;
  const w = (width - left) / blocks.length;
  const y = (b) => height - 20 - (b / top) * (height - 30);
  axis(ctx, y, top, left, width);
  blocks.forEach((b, i) => {
    const x0 = left + i * w;
    ctx.fillStyle = css('--activation');
    ctx.fillRect(x0, y(b.layer_by_layer), w * 0.45, height - 20 - y(b.layer_by_layer));
    ctx.fillStyle = css('--tile');
    ctx.fillRect(x0 + w * 0.45, y(b.patched), w * 0.45, height - 20 - y(b.patched));
  });
  ctx.fillStyle = css('--muted');
  ctx.fillText('blocks →   blue: layer by layer · orange: patches', left, height - 4);
}

function renderStep() {
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
  const { layer_by_layer: lbl, patched } = state.report;
  drawInput();
  drawArena($('lbl-canvas'), lbl, companionStep(lbl));
  drawArena($('arena-canvas'), patched, state.step);
  drawLive();
  drawPyramid();
  markOp();
}

// ---- why: the grid sweep, the recompute heat, the feasibility map ----------------------

/// Asks the planner for the sweep and the heat of the current plan once the settings have
/// stayed put a moment (a student dragging through grids gets plans first).
function explainSoon(generation) {
  clearTimeout(state.explainTimer);
  renderExplain();
  state.explainTimer = setTimeout(async () => {
    if (generation !== state.planGeneration || planner.busy) return;
    const serial = state.reportSerial;
    try {
      const { sweep, heat } = await planner.call('explain');
      if (serial !== state.reportSerial) return;
      state.explain = { serial, sweep, heat };
      renderExplain();
    } catch (e) {
      if (e.message !== 'superseded') showError(`Cannot explain the plan: ${e.message ?? e}`);
    }
  }, 250);
}

function renderExplain() {
  const ready = state.explain?.serial === state.reportSerial;
  drawSweeps(ready ? state.explain.sweep : null);
  drawHeat(ready ? state.explain.heat : null);
}

/// A chart canvas showing only a sentence (nothing to draw yet, or nothing to draw at all).
function chartMessage(canvas, words) {
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = css('--muted');
  ctx.fillText(words, 8, 18);
  canvas.bars = null;
}

const gridOf = (c) => c.schedule.stages[0];

function drawSweeps(sweep) {
  const stages = state.report.schedule.stages;
  const none = !stages.length ? 'layer by layer: no split and no grid to sweep — choose a patch plan'
    : !sweep ? 'planning every grid and every split…' : sweep.error ?? null;
  if (none) {
    chartMessage($('sweep-grids'), none);
    chartMessage($('sweep-splits'), '');
    text('sweep-explain', stages.length ? '' : 'Choose a grid (or auto) to see every grid and every split planned.');
    return;
  }
  const split = state.model.splits.find((s) => s.tensor === sweep.split);
  const mapShape = split ? split.shape.slice(1).join('×') : `t${sweep.split}`;
  const isCurrent = (g) => g.rows === sweep.rows && g.cols === sweep.cols;
  const grids = sweep.grids.filter((c) => gridOf(c).rows === gridOf(c).cols || isCurrent(gridOf(c)));
  drawSweep($('sweep-grids'), `every grid, split at op ${stages[0].split_op} (${mapShape})`, grids.map((c) => ({
    c, label: `${gridOf(c).rows}×${gridOf(c).cols}`, current: isCurrent(gridOf(c)),
    settings: { patch: [`${gridOf(c).rows}x${gridOf(c).cols}`], split: [`t${sweep.split}`] },
  })));
  drawSweep($('sweep-splits'), `${sweep.rows}×${sweep.cols} patches, split after op…`, sweep.splits.map((c) => ({
    c, label: String(gridOf(c).split_op), current: gridOf(c).split.index === sweep.split,
    title: `after op ${gridOf(c).split_op}: ${gridOf(c).split.shape.slice(1).join('×')}`,
    settings: { patch: [`${sweep.rows}x${sweep.cols}`], split: [`t${gridOf(c).split.index}`] },
  })));
  text('sweep-explain', sweepWords(grids.filter((c) => gridOf(c).rows === gridOf(c).cols)));
}

/// What the square grids say, in words: where the peak stops falling, and why.
function sweepWords(squares) {
  if (!squares.length) return '';
  const pct = (c) => `${c.overhead >= 0 ? '+' : '−'}${Math.abs(c.overhead * 100).toFixed(1)} %`;
  const [first, last] = [squares[0], squares[squares.length - 1]];
  const best = squares.reduce((a, b) => (b.peak_bytes < a.peak_bytes ? b : a));
  const after = squares.find((c) => !c.peak_patch);
  const name = (c) => `${gridOf(c).rows}×${gridOf(c).cols}`;
  const falls = `At this split the peak falls from ${bytes(first.peak_bytes)} (${name(first)}) to ${bytes(best.peak_bytes)} (${name(best)}).`;
  const cost = `The halos' recompute grows from ${pct(first)} to ${pct(last)} (${name(last)}).`;
  if (!after) return `${falls} Every grid keeps the peak inside the patch stage, so finer grids still lower it. ${cost}`;
  return `${falls} From ${name(after)} on the peak sits at op ${after.peak_op} ${after.peak_op_name}, after the split, `
    + `where the ops run layer by layer: no grid can lower it there. ${cost}`;
}

/// One sweep chart: a bar per candidate (peak SRAM, left axis, coloured by where the peak
/// falls), its recompute as a line (right axis), the SRAM line, the current plan outlined.
function drawSweep(canvas, title, items) {
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  const sram = state.report.board.sram;
  const most = Math.max(...items.map((i) => i.c.peak_bytes));
  const top = Math.max(most, Math.min(sram, most * 2)) * 1.1;
  const overheads = items.map((i) => i.c.overhead * 100);
  const [lo, hi] = [Math.min(0, ...overheads), Math.max(1, ...overheads) * 1.1];
  const [left, right, bottom, head] = [52, 46, 30, 18];
  const slot = (width - left - right) / items.length;
  const x = (i) => left + (i + 0.5) * slot;
  const y = (b) => height - bottom - (b / top) * (height - bottom - head);
  const yPct = (p) => height - bottom - ((p - lo) / (hi - lo)) * (height - bottom - head);
  axis(ctx, y, top, left, width - right);
  // Percent ticks on the right.
  const pctStep = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => (hi - lo) / s <= 5) ?? 1000;
  ctx.fillStyle = css('--muted');
  for (let p = Math.ceil(lo / pctStep) * pctStep; p <= hi; p += pctStep) ctx.fillText(`${p > 0 ? '+' : ''}${p} %`, width - right + 4, yPct(p) + 4);
  items.forEach((item, i) => {
    ctx.fillStyle = css(item.c.peak_patch ? '--tile' : '--activation');
    ctx.fillRect(x(i) - slot * 0.32, y(item.c.peak_bytes), slot * 0.64, y(0) - y(item.c.peak_bytes));
    if (item.current) {
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.strokeRect(x(i) - slot * 0.32, y(item.c.peak_bytes), slot * 0.64, y(0) - y(item.c.peak_bytes));
      ctx.lineWidth = 1;
    }
  });
  if (sram < top) {
    ctx.strokeStyle = '#ff5252';
    ctx.beginPath(); ctx.moveTo(left, y(sram)); ctx.lineTo(width - right, y(sram)); ctx.stroke();
    label(ctx, `SRAM ${kib(sram)}`, width - right - 92, y(sram) - 3, '#ff8a80');
  }
  ctx.strokeStyle = '#ffd54f';
  ctx.fillStyle = '#ffd54f';
  ctx.beginPath();
  items.forEach((item, i) => (i ? ctx.lineTo(x(i), yPct(item.c.overhead * 100)) : ctx.moveTo(x(i), yPct(item.c.overhead * 100))));
  ctx.stroke();
  items.forEach((item, i) => { ctx.beginPath(); ctx.arc(x(i), yPct(item.c.overhead * 100), 2.5, 0, 7); ctx.fill(); });
  // x labels: as many as fit.
  ctx.fillStyle = css('--muted');
  ctx.textAlign = 'center';
  const every = Math.max(1, Math.ceil(34 / slot));
  items.forEach((item, i) => {
    if (i % every && !item.current) return;
    ctx.fillStyle = item.current ? css('--text') : css('--muted');
    ctx.fillText(item.label, x(i), height - bottom + 13);
  });
  ctx.textAlign = 'left';
  ctx.fillStyle = css('--text');
  ctx.fillText(title, left, 12);
  ctx.fillStyle = css('--muted');
  ctx.fillText('peak SRAM (KiB) · MACs recomputed (%, yellow)', left, height - 3);
  // For clicks and tests: the bars' centres in CSS pixels.
  canvas.bars = { items, pick: (px) => items[Math.floor((px - left) / slot)], x, y, yPct };
}

/// A click on a sweep bar plans that grid at that split.
function pickSweepBar(event) {
  const canvas = event.currentTarget;
  const item = canvas.bars?.pick(event.clientX - canvas.getBoundingClientRect().left);
  if (!item) return;
  applySettings({ ...settingsFromControls(), ...item.settings });
  replan();
}

function sweepTip(event) {
  const canvas = event.currentTarget;
  const item = canvas.bars?.pick(event.clientX - canvas.getBoundingClientRect().left);
  canvas.title = item
    ? `${item.title ?? item.label}: peak ${bytes(item.c.peak_bytes)} at op ${item.c.peak_op} ${item.c.peak_op_name}${item.c.peak_patch ? ' (inside the patch stage)' : ' (after the split)'} · ${item.c.macs.toLocaleString('en')} MACs (${(item.c.overhead * 100).toFixed(1)} % recomputed) — click to plan it`
    : '';
}

/// Heat colours: computed once is dark blue, the most-recomputed pixel bright yellow.
function heatRgb(count, max) {
  if (!count) return [0, 0, 0];
  const t = max > 1 ? (count - 1) / (max - 1) : 0;
  const mix = (a, b) => Math.round(a + (b - a) * t);
  return [mix(35, 255), mix(55, 214), mix(100, 79)];
}
/// The first stage's input heat as a translucent layer over the picture: pixels read once
/// are left clear, the rest tinted by how many patches read them. Made once per report.
function heatLayer(heat) {
  if (heat.layer?.serial !== state.reportSerial) {
    const image = new ImageData(heat.width, heat.height);
    heat.counts.forEach((c, i) => image.data.set(c > 1 ? [...heatRgb(c, heat.max), 150] : [0, 0, 0, 0], i * 4));
    const canvas = new OffscreenCanvas(heat.width, heat.height);
    canvas.getContext('2d').putImageData(image, 0, 0);
    heat.layer = { serial: state.reportSerial, canvas };
  }
  return heat.layer.canvas;
}
const heatColour = (count, max) => `rgb(${heatRgb(count, max).join(',')})`;

/// Every map of the patch stages to one scale, each pixel coloured by how many times the
/// plan computes it (the input: how many patches read it); the sum below is the engine's.
function drawHeat(heat) {
  const canvas = $('heat-canvas');
  const stages = state.report.schedule.stages;
  if (!stages.length || !heat || heat.error) {
    chartMessage(canvas, !stages.length ? 'layer by layer: every pixel is computed once' : heat?.error ?? 'counting…');
    if (!stages.length) text('heat-sum', 'Choose a patch plan to see its halos\' recompute.');
    return;
  }
  const maps = [...heat.inputs.map((m) => ({ ...m, label: 'input (reads)', input: true })), ...heat.layers.map((m) => ({ ...m, label: `op ${m.op}` }))];
  const { ctx, width, height } = surface(canvas);
  ctx.clearRect(0, 0, width, height);
  const tallest = Math.max(...maps.map((m) => m.height));
  // Whole CSS pixels per map pixel where there is room (the VWW input at 1:1).
  const scale = Math.max(1, Math.floor(96 / tallest)) * (tallest > 96 ? 96 / tallest : 1);
  const { placed, total } = flow(maps, width, { w: (m) => Math.max(m.width * scale + 8, 54), h: (m) => m.height * scale, above: 14, below: 18 });
  const wanted = total + 20;
  if (Math.abs(height - wanted) > 1) {
    canvas.style.height = `${wanted}px`;
    return; // the ResizeObserver redraws at the new height
  }
  const max = Math.max(...maps.map((m) => m.max));
  canvas.layout = { scale, maps: placed.map(({ m, x0, top }) => ({ op: m.op, input: Boolean(m.input), x0, top })) };
  for (const { m, x0, top } of placed) {
    const image = new ImageData(m.width, m.height);
    m.counts.forEach((c, i) => {
      image.data.set([...heatRgb(c, max), 255], i * 4);
    });
    const tmp = new OffscreenCanvas(m.width, m.height);
    tmp.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, x0, top, m.width * scale, m.height * scale);
    ctx.fillStyle = css('--muted');
    ctx.fillText(m.label, x0, top - 3);
    ctx.fillText(`max ${m.max}×`, x0, top + m.height * scale + 13);
  }
  // The colour key.
  const keyY = height - 12;
  for (let c = 1; c <= max; c++) {
    ctx.fillStyle = heatColour(c, max);
    ctx.fillRect(4 + (c - 1) * 26, keyY - 9, 24, 10);
    ctx.fillStyle = c > max / 2 ? '#000' : '#fff';
    ctx.fillText(`${c}×`, 7 + (c - 1) * 26, keyY);
  }
  const extra = heat.stage_macs - heat.stage_macs_layer_by_layer;
  const { layer_by_layer: lbl } = state.report;
  text('heat-sum', `Σ over the stage's maps of (times computed − 1) × MACs per pixel = ${extra.toLocaleString('en')} MACs `
    + `= +${((extra / lbl.macs) * 100).toFixed(1)} % of layer by layer's ${lbl.macs.toLocaleString('en')}: the plan's recomputed MACs. `
    + 'The input map counts how many patches read each pixel: the halos\' overlap.');
  $('heat-sum').dataset.extraMacs = extra;
}

// The feasibility map's grid: MobileNetV2's widths and resolutions from the MCUNet papers.
const MAP = { arch: 'mbv2', widths: [0.35, 0.5, 0.75, 1.0], resolutions: [96, 128, 160, 192, 224, 256] };
// Boards with room for MobileNetV2's int8 weights and its 1000-class head.
const MAP_DEFAULT_MCU = 'stm32h743';
let mapper = null;

function fillMapMcus() {
  const select = $('map-mcu');
  for (const m of state.catalog.mcus) select.append(new Option(`${m.name} (${kib(m.sram)} SRAM, ${kib(m.flash)} Flash)`, m.name));
  select.value = hasOption('map-mcu', MAP_DEFAULT_MCU) ? MAP_DEFAULT_MCU : state.catalog.mcus[0]?.name;
  select.addEventListener('change', planMap);
}

/// Plans every width × resolution in a worker of its own (it needs no model), then draws it.
async function planMap() {
  mapper ??= new EngineWorker();
  if (mapper.busy) mapper.restart();
  const mcu = $('map-mcu').value;
  const settings = { mcu, in_place_depthwise: true };
  $('feasibility').classList.add('stale');
  text('map-explain', `Planning ${MAP.widths.length * MAP.resolutions.length} sizes of MobileNetV2 for ${mcu} in the engine…`);
  try {
    const { map } = await mapper.call('feasibility', { ...MAP, settings });
    if ($('map-mcu').value !== mcu) return;
    state.map = map;
    drawMap(map);
  } catch (e) {
    if (e.message !== 'superseded') showError(`Cannot plan the feasibility map: ${e.message ?? e}`);
  }
}

function drawMap(map) {
  const table = document.createElement('table');
  const head = table.createTHead().insertRow();
  head.append(Object.assign(document.createElement('th'), { textContent: 'width \\ px' }));
  for (const r of MAP.resolutions) head.append(Object.assign(document.createElement('th'), { textContent: r }));
  const body = table.createTBody();
  const tooBig = (c) => map.flash != null && c.weight_bytes > map.flash;
  for (const w of MAP.widths) {
    const row = body.insertRow();
    row.append(Object.assign(document.createElement('th'), { textContent: `${w}` }));
    for (const r of MAP.resolutions) {
      const c = map.cells.find((k) => k.width === w && k.resolution === r);
      const td = row.insertCell();
      if (!c) continue;
      const kind = c.fits_layer_by_layer ? 'lbl' : c.fits_patched ? 'patch' : 'none';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = `cell ${kind}`;
      button.dataset.fit = kind;
      button.innerHTML = `<b></b><span></span>`;
      button.querySelector('b').textContent = kind === 'lbl' ? 'fits' : kind === 'patch' ? 'patch' : tooBig(c) ? 'Flash' : 'no';
      button.querySelector('span').innerHTML = `${Math.round(c.layer_by_layer_peak / 1024)}<wbr>→${Math.round(c.patched_peak / 1024)}`;
      button.title = `MobileNetV2 ${w} @${r}: layer by layer ${bytes(c.layer_by_layer_peak)}, patches ${bytes(c.patched_peak)} `
        + `(${map.patch.join(', ')} split ${map.split.join(', ')}) of ${bytes(map.sram)} SRAM; weights ${bytes(c.weight_bytes)}`
        + `${map.flash != null ? ` of ${bytes(map.flash)} Flash` : ''}; ${c.macs.toLocaleString('en')} MACs — click to load it`;
      button.onclick = () => loadZooCell(w, r);
      td.append(button);
    }
  }
  $('feasibility').replaceChildren(table);
  $('feasibility').classList.remove('stale');
  const count = (k) => map.cells.filter((c) => (k === 'lbl' ? c.fits_layer_by_layer : k === 'patch' ? c.fits_patched && !c.fits_layer_by_layer : !c.fits_patched)).length;
  const smallest = Math.min(...map.cells.map((c) => c.weight_bytes));
  const flashNote = map.flash != null && smallest > map.flash
    ? ` None fits: even the smallest network's int8 weights (${kib(smallest)}, with ImageNet's 1000-class head) exceed this board's ${kib(map.flash)} of Flash — choose a board with more Flash.`
    : '';
  text('map-explain', `Green: fits layer by layer (${count('lbl')}); orange: fits only with patches (${count('patch')}); grey: does not fit (${count('none')}) — `
    + `SRAM ${kib(map.sram)}, patches ${map.patch.join(', ')} to ${map.split.join(', ')}, camera streamed.${flashNote} Each cell: peak KiB layer by layer → with patches; click one to load it.`);
}

/// Loads a map cell's network and plans it on the map's MCU with the planner's choice.
function loadZooCell(width, resolution) {
  const key = `${MAP.arch}@${width}x${resolution}`;
  const settings = { mcu: $('map-mcu').value, patch: ['auto'], split: [], streamed_input: true, in_place_depthwise: true };
  return loadModel({ key, arch: MAP.arch, width, resolution, name: `${MAP.arch} ${width} @${resolution} (synthetic weights)` }, settings);
}

// ---- exactness badge and break-it mode -------------------------------------------------

// Every CHECK_EVERY-th frame also runs layer by layer and is compared tensor by tensor.
const CHECK_EVERY = 10;
// Break-it mode counts verdict flips over this many frames.
const BREAK_WINDOW = 30;

/// The badge: what the last check compared, on how many frames since this plan, and the
/// first differing byte if there ever is one.
function renderBadge(exact) {
  const badge = $('exact-badge');
  const stages = state.report.schedule.stages.length;
  if (!state.model.classifies_images) {
    text('exact-badge', 'exactness is checked on camera frames of an image model');
    badge.className = 'badge';
    text('exact-detail', '');
    return;
  }
  if (!exact) {
    text('exact-badge', stages ? 'checking patches against layer by layer…' : 'layer by layer: nothing to compare — choose patches');
    badge.className = 'badge';
    text('exact-detail', '');
    return;
  }
  state.checks.frames++;
  if (!exact.equal) state.checks.differing = exact;
  const wrong = state.checks.differing;
  badge.className = `badge ${wrong ? 'bad' : 'good'}`;
  if (wrong) {
    const d = wrong.first_difference;
    text('exact-badge', `✗ patches ≠ layer by layer: ${shortName(d.name)} byte ${d.byte}: ${d.layer_by_layer} vs ${d.patched}`);
  } else {
    text('exact-badge', '✓ patches = layer by layer, byte for byte');
  }
  text('exact-detail', `${exact.tensors} tensors, ${bytes(exact.bytes)} compared on each of ${state.checks.frames} frame${state.checks.frames === 1 ? '' : 's'} checked since this plan`);
}

/// Break-it mode: the split tensor's difference map, both outputs, and how often the wrong
/// schedule's verdict differs from the right one over the last frames.
function renderBreak(broken) {
  const panel = $('break-panel');
  panel.hidden = !$('break-it').checked;
  if (panel.hidden || !broken) return;
  if (broken.error) {
    text('break-bytes', broken.error);
    text('break-outputs', '');
    text('break-flips', '');
    chartMessage($('diff-canvas'), '');
    return;
  }
  state.breaks.push(broken.halos_blanked.label !== broken.layer_by_layer.label);
  while (state.breaks.length > BREAK_WINDOW) state.breaks.shift();
  state.broken = broken;
  const split = broken.split;
  text('break-bytes', `${broken.differing_bytes.toLocaleString('en')} of ${broken.split.bytes.toLocaleString('en')} bytes of the split tensor differ `
    + `(${broken.differing_pixels} of ${split.shape[1] * split.shape[2]} pixels)`);
  const out = (r) => `[${r.outputs[0].int8.join(', ')}] ${r.label}`;
  text('break-outputs', `layer by layer: ${out(broken.layer_by_layer)} · without halos: ${out(broken.halos_blanked)}`);
  const flips = state.breaks.filter(Boolean).length;
  text('break-flips', `verdict wrong on ${flips} of the last ${state.breaks.length} frames`);
  drawDifference(broken);
}

/// The break-it switch works on a patch plan with int8 camera pixels; otherwise it says why.
function renderBreakSwitch() {
  const r = state.report;
  const why = !state.model.classifies_images ? 'needs camera frames of an image model'
    : !r?.schedule.stages.length ? 'needs a patch plan: choose a grid'
      : r.settings.float_input ? 'needs int8 camera pixels: turn off the float input' : '';
  $('break-it').disabled = Boolean(why);
  $('break-it').parentElement.title = why;
  const panel = $('break-panel');
  panel.hidden = !$('break-it').checked;
  if (!panel.hidden && (why || !state.breaks.length)) {
    text('break-bytes', why ? `Break it ${why}.` : 'running without halos…');
    text('break-outputs', '');
    text('break-flips', '');
    chartMessage($('diff-canvas'), '');
  }
}

function drawDifference(broken) {
  const { ctx, width } = surface($('diff-canvas'));
  const [, h, w, c] = broken.split.shape;
  const scale = width / Math.max(h, w);
  const image = new ImageData(w, h);
  broken.differing_channels.forEach((n, i) => {
    const t = n / c;
    image.data.set(n ? [120 + Math.round(135 * t), 40, 40, 255] : [22, 48, 34, 255], i * 4);
  });
  const tmp = new OffscreenCanvas(w, h);
  tmp.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
  ctx.strokeStyle = 'rgba(255,255,255,0.6)';
  for (const p of state.report.patches.filter((q) => q.stage === 0)) {
    ctx.strokeRect(p.tile.x0 * scale, p.tile.y0 * scale, (p.tile.x1 - p.tile.x0) * scale, (p.tile.y1 - p.tile.y0) * scale);
  }
}

// ---- the loop -----------------------------------------------------------------------

function loop(now) {
  const start = performance.now();
  if (state.report) {
    const dt = state.lastTick ? now - state.lastTick : 16;
    if (state.playing) {
      sendFrame();
      state.stepClock += (dt / 1000) * Number($('speed').value);
      const steps = Math.floor(state.stepClock);
      state.stepClock -= steps;
      state.step = (state.step + steps) % Math.max(1, state.report.patched.steps.length);
    }
    renderFps(now);
    renderStep();
  }
  state.lastTick = now;
  state.animationFrames++;
  state.mainMs.push(performance.now() - start);
  if (state.mainMs.length > 600) state.mainMs.shift();
  requestAnimationFrame(loop);
}

/// Frames shown (answered by the engine) in the last second.
function renderFps(now) {
  while (state.displayed.length && state.displayed[0] < now - 1000) state.displayed.shift();
  if (!state.model?.classifies_images) return;
  text('fps', state.playing ? `${state.displayed.length} fps` : 'paused');
}

function setPlaying(playing) {
  state.playing = playing;
  $('play').textContent = playing ? 'Pause' : 'Play';
  // At once rather than at the next animation frame, which a busy tab may not draw for a while.
  renderFps(performance.now());
}

function togglePlay() {
  setPlaying(!state.playing);
}

function move(delta) {
  if (!state.report) return;
  setPlaying(false);
  const n = Math.max(1, state.report.patched.steps.length);
  state.step = (state.step + delta + n) % n;
  renderStep();
}

/// `[` and `]`: the previous or next grid of the Patches list.
function nextGrid(delta) {
  const select = $('patch-select');
  const grids = [...select.options].map((o) => o.value).filter((v) => /x/.test(v));
  if (!grids.length) return;
  const at = grids.indexOf(select.value);
  const next = at < 0 ? (delta > 0 ? 0 : grids.length - 1) : Math.max(0, Math.min(grids.length - 1, at + delta));
  if (grids[next] === select.value) return;
  select.value = grids[next];
  replan();
}

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
  await loadModel({ key: `file:${file.name}`, name: `${file.name} (your file)`, bytes: data });
}

/// PNG, JPEG, GIF, WebP and BMP by their first bytes; anything else is taken for a model.
function isImage(b) {
  const starts = (...sig) => sig.every((v, i) => b[i] === v);
  return starts(0x89, 0x50, 0x4e, 0x47) || starts(0xff, 0xd8, 0xff) || starts(0x47, 0x49, 0x46, 0x38)
    || (starts(0x52, 0x49, 0x46, 0x46) && b[8] === 0x57 && b[9] === 0x45) || starts(0x42, 0x4d);
}

function setupControls() {
  for (const [id] of SWITCHES) $(id).addEventListener('change', replan);
  $('patch-select').addEventListener('change', replan);
  $('split-select').addEventListener('change', () => {
    fillGrids($('split-select').value);
    replan();
  });
  $('sram-custom').addEventListener('change', replan);
  $('mcu-select').addEventListener('change', () => {
    $('sram-label').hidden = $('mcu-select').value !== 'custom';
    replan();
  });
  $('model-select').addEventListener('change', async () => {
    const key = $('model-select').value;
    if (key.startsWith('file:')) return;
    try {
      await loadModel(await modelSource(key));
    } catch (e) {
      showError(`Cannot use this model: ${e.message ?? e}`);
    }
  });
  $('model-file').addEventListener('change', () => useFile($('model-file').files[0]));
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    useFile(e.dataTransfer.files[0]);
  });
  $('play').onclick = togglePlay;
  $('step-next').onclick = () => move(1);
  $('step-back').onclick = () => move(-1);
  document.addEventListener('keydown', (e) => {
    if (e.target.matches('input[type=number], input[type=text]') || e.ctrlKey || e.metaKey || e.altKey) return;
    const keys = { ' ': togglePlay, ArrowRight: () => move(1), ArrowLeft: () => move(-1), '[': () => nextGrid(-1), ']': () => nextGrid(1) };
    if (!keys[e.key]) return;
    e.preventDefault();
    keys[e.key]();
  });
  const legend = $('legend');
  for (const [kind, color] of Object.entries(KIND_COLOR)) {
    if (kind === 'input-tile') continue;
    legend.insertAdjacentHTML('beforeend', `<span><i style="background:var(${color})"></i>${kind.replace('-', ' ')}</span>`);
  }
  $('camera-retry').onclick = () => startCamera();
  for (const id of ['sweep-grids', 'sweep-splits', 'heat-canvas']) $(id).redraw = renderExplain;
  for (const id of ['sweep-grids', 'sweep-splits']) {
    $(id).addEventListener('click', pickSweepBar);
    $(id).addEventListener('pointermove', sweepTip);
  }
  $('heat-overlay').addEventListener('change', () => { state.drawn = ''; });
  $('break-it').addEventListener('change', () => {
    state.breaks = [];
    renderBreakSwitch();
  });
  $('tour-button').onclick = () => showTour(0);
  $('tour-next').onclick = () => showTour(Math.min(TOUR.length - 1, state.tour + 1));
  $('tour-back').onclick = () => showTour(Math.max(0, state.tour - 1));
  $('tour-close').onclick = () => showTour(-1);
  for (const id of ['lbl-canvas', 'arena-canvas']) {
    $(id).addEventListener('pointermove', bufferTip);
    $(id).addEventListener('pointerdown', bufferTip);
    $(id).addEventListener('pointerleave', () => { $('buffer-tip').hidden = true; });
  }
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
  window.addEventListener('resize', () => {
    state.drawn = '';
    if (state.report) {
      drawBlocks();
      renderExplain();
    }
  });
}

// ---- the guided tour ------------------------------------------------------------------

// Each step sets the controls (a real plan, from the engine) and points at what to look at.
const TOUR = [
  ['What the network sees', 'section.camera', { patch: [] },
    'The camera frame, centre-cropped and shrunk to the 96×96 int8 pixels the network receives. The verdict is computed by the real model in your browser, inside a simulated MCU arena.'],
  ['Layer by layer does not fit', 'section.arena', { patch: [] },
    'Layer by layer, each op holds its whole input and output. On the left arena the peak (yellow dashes) is far above this 20 KiB MCU\'s SRAM (red line): it does not fit.'],
  ['Patches', 'section.arena', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    'Now the first ops run one 3×3 patch at a time (shaded in the op strip). Only one patch\'s small buffers live at once: the right arena\'s peak drops under the red line.'],
  ['The halo costs compute', '#pyramid-canvas', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true },
    'Step with ▶ (or →) and watch the halos: each patch reads more than its tile, and neighbouring halos overlap, so some MACs are computed twice (the "recomputed" percentage).'],
  ['Where the peak went', '#patched-live', { patch: ['6x6'], streamed_input: true, in_place_depthwise: true },
    'Finer patches shrink the stage, but the peak now sits after the split, where ops run layer by layer again: the list shows which buffers are live at the new peak.'],
  ['Let the planner choose', 'section.why', { patch: ['auto'], streamed_input: true, in_place_depthwise: true },
    '"auto" plans every split and grid for real and keeps the cheapest that fits the SRAM. The charts below show every grid and split it weighed: past some grid the peak sits after the split and only the recompute grows.'],
  ['Break it', 'section.camera', { patch: ['3x3'], streamed_input: true, in_place_depthwise: true, breakIt: true },
    'Now the same patches run without their halos — wrong by design. The red pixels are where the split tensor differs from layer by layer: along the patch borders. With the halos, the badge shows the two schedules agree byte for byte.'],
];

function showTour(index) {
  state.tour = index;
  const tour = $('tour');
  tour.hidden = index < 0;
  document.querySelector('.tour-focus')?.classList.remove('tour-focus');
  if (index < 0) return writeHash(settingsFromControls());
  const [title, target, settings, words] = TOUR[index];
  text('tour-title', title);
  text('tour-count', `${index + 1} / ${TOUR.length}`);
  text('tour-text', words);
  $('tour-back').disabled = index === 0;
  $('tour-next').disabled = index === TOUR.length - 1;
  if ($('model-select').value !== 'vww') return;
  $('mcu-select').value = 'custom';
  $('sram-custom').value = CUSTOM_SRAM;
  applySettings({ mcu: null, sram: CUSTOM_SRAM, ...settings });
  $('break-it').checked = Boolean(settings.breakIt);
  state.breaks = [];
  replan();
  const focus = document.querySelector(target);
  focus?.classList.add('tour-focus');
  focus?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
}

// ---- hooks for the tests and the benchmark -------------------------------------------

// The last frame exactly as the engine saw it and what it answered, for checking the page
// against the CLI on the same bytes (`mcupatch run --input-raw`).
window.mcupatchLastFrame = () => state.run && { input: Array.from(state.input), run: state.run };
// The current PlanReport as the engine returned it, and its settings as CLI flags.
window.mcupatchPlan = () => state.reportJson && JSON.parse(state.reportJson);
window.mcupatchFlags = () => cliFlags(settingsFromControls());
// True once no plan is being made and the last change has been planned (or refused).
window.mcupatchIdle = () => state.planning === 0 && Boolean(state.model);
window.mcupatchPlanMs = () => state.planMs;
window.mcupatchFramesShown = () => state.framesShown;
// Animation frames drawn (the display's rate while the page keeps up) and exactness checks run.
window.mcupatchAnimationFrames = () => state.animationFrames;
window.mcupatchChecks = () => state.checks.frames;
// Main-thread milliseconds of the last animation frames (grab, send, draw).
window.mcupatchMainMs = () => state.mainMs.slice();
// Sets every control at once (as a shared link does) and plans: the sweep's way in.
window.mcupatchSet = (settings) => {
  applySettings(settings);
  return replan();
};
// The sweep and heat of the current plan once the planner has answered (else null), the
// feasibility map, and the break-it mode's last report.
window.mcupatchExplain = () => (state.explain?.serial === state.reportSerial ? state.explain : null);
window.mcupatchMap = () => state.map;
window.mcupatchBroken = () => state.broken ?? null;
window.mcupatchMemory = async () => ({
  planner: (await planner.call('memory')).wasmBytes,
  runner: (await runner.call('memory')).wasmBytes,
  heap: performance.memory?.usedJSHeapSize ?? null,
});

async function main() {
  setupControls();
  state.catalog = (await planner.call('catalog')).catalog;
  fillCatalog();
  fillMapMcus();
  const shared = readHash();
  try {
    const key = shared?.model && !shared.model.startsWith('file:') ? shared.model : 'vww';
    await loadModel(await modelSource(key), shared?.settings);
  } catch (e) {
    showError(`Cannot use this model: ${e.message ?? e}`);
  }
  if (shared?.tour >= 0 && shared.tour < TOUR.length) showTour(shared.tour);
  requestAnimationFrame(loop);
  planMap();
  await startCamera();
}

main().catch((e) => showError(`The page could not start: ${e.message ?? e}`));
