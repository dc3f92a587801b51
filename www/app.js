// The page: camera → engine (wasm) → verdict, and the plan's trace drawn as patches, an
// arena picture, a live-bytes curve and per-block bars. It computes nothing the engine
// does not report.
import init, { Demo } from './pkg/mcupatch.js';

const $ = (id) => document.getElementById(id);
const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const KIND_COLOR = {
  'input': '--input', 'input-tile': '--input', 'activation': '--activation', 'patch-tile': '--tile',
  'stage-output': '--stage', 'scratch': '--scratch', 'output': '--output',
};
const SAMPLES = ['astronaut.png', 'camera.png', 'coffee.png', 'chelsea.png', 'rocket.jpg'];
const ZOO_RESOLUTION = 224;

const state = {
  demo: null, summary: null, analysisOnly: false, zoo: false,
  playing: true, step: 0, stepClock: 0,
  source: null, grab: document.createElement('canvas'),
  fps: 0, lastTick: 0, lastMs: 0,
};

function showError(message) {
  const banner = $('error-banner');
  banner.textContent = message;
  banner.hidden = false;
}

function clearError() {
  $('error-banner').hidden = true;
}

function settings() {
  const mcu = $('mcu-select').value;
  return {
    sram: mcu === 'custom' ? Number($('sram-custom').value) : Number(mcu),
    patch: $('patch-select').value,
    split: $('split-select').value,
    multi_stage: $('multi-stage').checked,
    in_place_depthwise: $('inplace-dw').checked,
    in_place_pointwise: $('inplace-pw').checked,
    in_place_add: $('inplace-add').checked,
    streamed_input: $('streamed').checked && $('patch-select').value !== '',
  };
}

// ---- model and plan -------------------------------------------------------------------

async function loadModel(choice, bytes) {
  clearError();
  try {
    let demo;
    if (bytes) {
      demo = new Demo(bytes);
    } else if (choice === 'vww') {
      const response = await fetch('assets/visual_wake_words.tflite');
      if (!response.ok) throw new Error('the bundled model is missing: run `make demo`');
      demo = new Demo(new Uint8Array(await response.arrayBuffer()));
    } else {
      demo = Demo.zoo(choice, 1.0, ZOO_RESOLUTION);
    }
    if (state.demo) state.demo.free();
    state.demo = demo;
    state.zoo = !bytes && choice !== 'vww';
    fillSplits();
    replan();
  } catch (e) {
    showError(`Cannot use this model: ${e.message ?? e}`);
  }
}

function fillSplits() {
  const select = $('split-select');
  select.innerHTML = '<option value="">planner\'s choice</option>';
  const splits = JSON.parse(state.demo.splits());
  for (const s of splits) {
    const option = document.createElement('option');
    option.value = `t${s.tensor}`;
    option.textContent = `after op ${s.op}: ${s.shape.slice(1).join('×')}`;
    select.append(option);
  }
  // Zoo networks are large: plan at the end of the first stride-8 block instead of searching.
  if (state.zoo) {
    $('patch-select').value = '4x4';
    const stride8 = splits.find((s) => s.shape[1] === ZOO_RESOLUTION / 8 && /\/project$/.test(s.name));
    if (stride8) select.value = `t${stride8.tensor}`;
  }
}

function replan() {
  if (!state.demo) return;
  clearError();
  try {
    const summary = JSON.parse(state.demo.configure(JSON.stringify(settings())));
    state.summary = summary;
    const shape = summary.input_shape;
    state.analysisOnly = state.zoo || shape.length !== 4 || shape[3] !== 3;
    if (state.analysisOnly) {
      // Not a person detector: no verdict to show.
      $('verdict').textContent = '—';
      $('verdict').className = '';
      $('probability').textContent = 'analysis model';
      $('ms').textContent = '– ms';
    }
    state.step = 0;
    renderNumbers();
  } catch (e) {
    showError(`Cannot plan: ${e.message ?? e}`);
  }
}

function renderNumbers() {
  const s = state.summary;
  const p = s.patched;
  const l = s.layer_by_layer;
  $('peak-bytes').textContent = p.peak.bytes;
  $('fits').textContent = s.fits ? `fits ${s.sram} B` : `does not fit ${s.sram} B`;
  $('fits').className = s.fits ? 'ok' : 'no';
  $('lbl-bytes').textContent = l.peak.bytes;
  $('saving').textContent = `${(l.peak.bytes / p.peak.bytes).toFixed(2)}× less`;
  $('macs').textContent = p.macs.toLocaleString('en');
  $('overhead').textContent = `+${(p.overhead * 100).toFixed(1)} %`;
  $('input-patch').textContent = p.input_patch ? p.input_patch.join('×') : '—';
  const where = p.peak.patch ? `, patch ${p.peak.patch[1] + 1},${p.peak.patch[2] + 1}` : '';
  $('peak-where').textContent = `op ${p.peak.op} ${p.peak.op_name}${where}`;
  $('input-patch').title = 'the largest input region one patch reads';
  drawBlocks();
}

// ---- camera and samples ---------------------------------------------------------------

async function startCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const video = $('video');
    video.srcObject = stream;
    await video.play();
    state.source = video;
  } catch (e) {
    $('camera-message').hidden = false;
    $('camera-message').textContent = `No camera (${e.name ?? e}): showing sample photos instead.`;
    showSamples();
  }
}

function showSamples() {
  const box = $('samples');
  box.hidden = false;
  for (const name of SAMPLES) {
    const button = document.createElement('button');
    button.textContent = name.replace(/\..*/, '');
    button.onclick = () => useSample(name);
    box.append(button);
  }
  useSample(SAMPLES[0]);
}

function useSample(name) {
  const img = new Image();
  img.onload = () => { state.source = img; };
  img.onerror = () => showError(`Cannot load sample ${name}: run \`make demo\``);
  img.src = `assets/${name}`;
}

function grabFrame() {
  const src = state.source;
  const width = src.videoWidth ?? src.naturalWidth;
  const height = src.videoHeight ?? src.naturalHeight;
  if (!width || !height) return null;
  const canvas = state.grab;
  if (canvas.width !== width || canvas.height !== height) Object.assign(canvas, { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(src, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height);
}

function infer() {
  if (state.analysisOnly || !state.source) return;
  const frame = grabFrame();
  if (!frame) return;
  try {
    const start = performance.now();
    const scores = state.demo.run_rgba(frame.data, frame.width, frame.height);
    state.lastMs = performance.now() - start;
    const label = state.demo.label();
    const verdict = $('verdict');
    verdict.textContent = label;
    verdict.className = label === 'person' ? 'person' : 'no-person';
    $('probability').textContent = `p(person) ${scores[0].toFixed(2)}`;
    $('ms').textContent = `${state.lastMs.toFixed(1)} ms`;
  } catch (e) {
    showError(`Inference failed: ${e.message ?? e}`);
    state.analysisOnly = true;
  }
}

// ---- drawing ------------------------------------------------------------------------

function drawInput() {
  const canvas = $('input-canvas');
  const ctx = canvas.getContext('2d');
  const [, h, w] = state.summary.input_shape;
  const scale = canvas.width / Math.max(h, w);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const bytes = state.analysisOnly ? null : state.demo.input_bytes();
  if (bytes && bytes.length === h * w * 3) {
    const image = new ImageData(w, h);
    for (let i = 0, j = 0; i < bytes.length; i += 3, j += 4) {
      // int8 pixels are pixel − 128: flip the sign bit back.
      image.data[j] = bytes[i] ^ 0x80; image.data[j + 1] = bytes[i + 1] ^ 0x80; image.data[j + 2] = bytes[i + 2] ^ 0x80;
      image.data[j + 3] = 255;
    }
    const tmp = new OffscreenCanvas(w, h);
    tmp.getContext('2d').putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tmp, 0, 0, w * scale, h * scale);
  } else if (state.analysisOnly) {
    ctx.fillStyle = css('--muted');
    ctx.fillText('analysis model: synthetic weights, no camera inference', 12, 20);
  }
  const patches = state.summary.patches.filter((p) => p.stage === 0);
  const current = state.summary.trace[state.step]?.patch;
  for (const p of patches) {
    const r = p.input;
    const active = current && current.stage === 0 && current.index === p.index;
    if (active) {
      ctx.fillStyle = 'rgba(240, 160, 75, 0.28)';
      ctx.fillRect(r.x0 * scale, r.y0 * scale, (r.x1 - r.x0) * scale, (r.y1 - r.y0) * scale);
    }
    ctx.strokeStyle = active ? css('--tile') : 'rgba(255,255,255,0.55)';
    ctx.lineWidth = active ? 3 : 1.5;
    ctx.strokeRect(r.x0 * scale, r.y0 * scale, (r.x1 - r.x0) * scale, (r.y1 - r.y0) * scale);
  }
}

/// Buffers as rectangles: from the trace's alloc and free events.
function buffers() {
  if (state.buffers?.summary === state.summary) return state.buffers.list;
  const open = new Map();
  const list = [];
  state.summary.trace.forEach((step, i) => {
    for (const e of step.alloc) open.set(e.buffer, { ...e, first: i });
    for (const e of step.free) {
      const b = open.get(e.buffer) ?? { ...e, first: i };
      list.push({ ...b, last: i });
      open.delete(e.buffer);
    }
  });
  state.buffers = { summary: state.summary, list };
  return list;
}

function drawArena() {
  const canvas = $('arena-canvas');
  const ctx = canvas.getContext('2d');
  const { trace, sram, patched } = state.summary;
  const top = Math.max(sram, patched.peak.bytes) * 1.05;
  const x = (i) => 40 + (i / trace.length) * (canvas.width - 50);
  const y = (b) => canvas.height - 10 - (b / top) * (canvas.height - 20);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (const b of buffers()) {
    ctx.fillStyle = css(KIND_COLOR[b.kind] ?? '--activation');
    ctx.globalAlpha = b.first <= state.step && state.step <= b.last ? 1 : 0.55;
    ctx.fillRect(x(b.first), y(b.offset + b.size), Math.max(1, x(b.last + 1) - x(b.first)), Math.max(1, y(b.offset) - y(b.offset + b.size)));
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = '#ff5252';
  ctx.beginPath(); ctx.moveTo(40, y(sram)); ctx.lineTo(canvas.width, y(sram)); ctx.stroke();
  ctx.fillStyle = '#ff5252';
  ctx.fillText(`SRAM ${sram} B`, 42, y(sram) - 3);
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(state.step + 0.5), 0); ctx.lineTo(x(state.step + 0.5), canvas.height); ctx.stroke();
  ctx.fillStyle = css('--muted');
  ctx.fillText('address', 2, 12);
  ctx.fillText('steps →', canvas.width - 50, canvas.height - 1);
}

function drawLive() {
  const canvas = $('live-canvas');
  const ctx = canvas.getContext('2d');
  const { trace, sram, patched } = state.summary;
  const top = Math.max(sram, ...trace.map((s) => s.extent)) * 1.05;
  const x = (i) => 40 + (i / Math.max(1, trace.length - 1)) * (canvas.width - 50);
  const y = (b) => canvas.height - 12 - (b / top) * (canvas.height - 22);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = css('--accent');
  ctx.beginPath();
  trace.forEach((s, i) => (i ? ctx.lineTo(x(i), y(s.live_bytes)) : ctx.moveTo(x(i), y(s.live_bytes))));
  ctx.stroke();
  ctx.strokeStyle = '#ff5252';
  ctx.beginPath(); ctx.moveTo(40, y(sram)); ctx.lineTo(canvas.width, y(sram)); ctx.stroke();
  const peak = patched.peak.step;
  ctx.fillStyle = '#ffd54f';
  ctx.beginPath(); ctx.arc(x(peak), y(trace[peak].extent), 4, 0, 7); ctx.fill();
  const where = patched.peak.patch ? `, patch ${patched.peak.patch[1] + 1},${patched.peak.patch[2] + 1}` : '';
  const label = `peak ${patched.peak.bytes} B at op ${patched.peak.op} ${patched.peak.op_name}${where}`;
  ctx.fillText(label, Math.min(x(peak) + 6, canvas.width - ctx.measureText(label).width - 4), 12);
  ctx.strokeStyle = '#fff';
  ctx.beginPath(); ctx.moveTo(x(state.step), 0); ctx.lineTo(x(state.step), canvas.height); ctx.stroke();
  ctx.fillStyle = css('--muted');
  ctx.fillText('bytes live', 2, canvas.height - 2);
}

function drawBlocks() {
  const canvas = $('blocks-canvas');
  const ctx = canvas.getContext('2d');
  const blocks = state.summary.blocks;
  const top = Math.max(...blocks.map((b) => b.layer_by_layer)) * 1.08;
  const width = (canvas.width - 40) / blocks.length;
  const y = (b) => canvas.height - 20 - (b / top) * (canvas.height - 30);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  blocks.forEach((b, i) => {
    const x0 = 40 + i * width;
    ctx.fillStyle = css('--activation');
    ctx.fillRect(x0, y(b.layer_by_layer), width * 0.45, canvas.height - 20 - y(b.layer_by_layer));
    ctx.fillStyle = css('--tile');
    ctx.fillRect(x0 + width * 0.45, y(b.patched), width * 0.45, canvas.height - 20 - y(b.patched));
  });
  ctx.fillStyle = css('--muted');
  ctx.fillText(`${(top / 1.08 / 1024).toFixed(0)} KiB`, 2, 12);
  ctx.fillText('blocks (first → last); blue: layer by layer, orange: patch-based', 40, canvas.height - 4);
}

function renderStep() {
  const trace = state.summary.trace;
  if (!trace.length) {
    $('step-counter').textContent = 'nothing to run: the model is only its input';
    return;
  }
  const s = trace[state.step];
  $('step-counter').textContent = `step ${state.step + 1} / ${trace.length}: op ${s.op_index} ${s.op}`;
  const count = state.summary.patches.filter((p) => s.patch && p.stage === s.patch.stage).length;
  $('patch-counter').textContent = s.patch
    ? `patch ${s.patch.index + 1} / ${count} (row ${s.patch.row + 1}, col ${s.patch.col + 1})`
    : 'layer by layer';
  drawInput();
  drawArena();
  drawLive();
}

// ---- the loop -----------------------------------------------------------------------

function loop(now) {
  if (state.summary) {
    if (state.playing) {
      infer();
      const dt = state.lastTick ? now - state.lastTick : 16;
      state.fps = state.fps ? state.fps * 0.9 + (1000 / dt) * 0.1 : 1000 / dt;
      $('fps').textContent = state.analysisOnly ? '– fps' : `${state.fps.toFixed(0)} fps`;
      state.stepClock += (dt / 1000) * Number($('speed').value);
      const steps = Math.floor(state.stepClock);
      state.stepClock -= steps;
      state.step = (state.step + steps) % Math.max(1, state.summary.trace.length);
    }
    state.lastTick = now;
    renderStep();
  }
  requestAnimationFrame(loop);
}

function setupControls() {
  for (const id of ['patch-select', 'split-select', 'streamed', 'inplace-dw', 'inplace-pw', 'inplace-add', 'multi-stage', 'sram-custom']) {
    $(id).addEventListener('change', replan);
  }
  $('mcu-select').addEventListener('change', () => {
    $('sram-custom').hidden = $('mcu-select').value !== 'custom';
    replan();
  });
  $('model-select').addEventListener('change', () => loadModel($('model-select').value));
  const useFile = async (file) => file && loadModel('file', new Uint8Array(await file.arrayBuffer()));
  $('model-file').addEventListener('change', () => useFile($('model-file').files[0]));
  // Drop a .tflite anywhere on the page.
  document.addEventListener('dragover', (e) => e.preventDefault());
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    useFile(e.dataTransfer.files[0]);
  });
  $('play').onclick = () => {
    state.playing = !state.playing;
    $('play').textContent = state.playing ? 'Pause' : 'Play';
  };
  const move = (delta) => {
    state.playing = false;
    $('play').textContent = 'Play';
    const n = state.summary.trace.length;
    state.step = (state.step + delta + n) % n;
  };
  $('step-next').onclick = () => move(1);
  $('step-back').onclick = () => move(-1);
  const select = $('patch-select');
  for (let n = 1; n <= 8; n++) select.append(new Option(`${n}×${n}`, `${n}x${n}`));
  select.value = '3x3';
  const legend = $('legend');
  for (const [kind, color] of Object.entries(KIND_COLOR)) {
    if (kind === 'input-tile') continue;
    legend.insertAdjacentHTML('beforeend', `<span><i style="background:var(${color})"></i>${kind.replace('-', ' ')}</span>`);
  }
}

// The last frame exactly as the engine saw it and what it answered, for checking the page
// against the CLI on the same bytes (`mcupatch run --input-raw`).
window.mcupatchLastFrame = () => state.demo && {
  input: Array.from(state.demo.input_bytes()),
  output: Array.from(state.demo.output_int8()),
  label: state.demo.label(),
};

async function main() {
  await init();
  setupControls();
  await loadModel('vww');
  await startCamera();
  requestAnimationFrame(loop);
}

main().catch((e) => showError(`The page could not start: ${e.message ?? e}`));
