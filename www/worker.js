// The engine off the main thread: one wasm Session per worker. The page runs two of these,
// one that plans (and is restarted when a newer settings change supersedes its work) and one
// that keeps running camera frames meanwhile. Every answer is the session's own report.
import init, { catalog, feasibility, Session } from './pkg/mcupatch.js';

const ready = init();
let session = null;
let grab = null;

const handlers = {
  async catalog() {
    return { catalog: JSON.parse(catalog()) };
  },

  // { bytes } for a .tflite, { arch, width, resolution } for a zoo architecture.
  async load({ bytes, arch, width, resolution }) {
    const next = bytes ? new Session(new Uint8Array(bytes)) : Session.zoo(arch, width, resolution);
    session?.free();
    session = next;
    return { model: JSON.parse(session.model()) };
  },

  // The report as JSON (the page's copy of record) and parsed for drawing, without the
  // steps' alloc/free events (the buffers' first/last say the same): a large plan's report
  // then reaches the main thread without a long structured clone.
  async plan({ settings }) {
    const start = performance.now();
    const json = need().plan(JSON.stringify(settings));
    const ms = performance.now() - start;
    const view = JSON.parse(json);
    for (const arena of [view.layer_by_layer, view.patched]) {
      for (const step of arena.steps) {
        delete step.alloc;
        delete step.free;
      }
    }
    return { json, view, ms };
  },

  // The current plan's report exactly as `mcupatch plan --json` prints it: what a download saves.
  async planJson() {
    return { json: need().plan_json() };
  },

  // The model rewritten for stock TFLite Micro under these settings (`mcupatch export`), and
  // its report: the arena TFLite Micro needs.
  async exportTflm({ settings }) {
    const model = need().export(JSON.stringify(settings));
    return { model, report: JSON.parse(need().export_json()), transfer: [model.buffer] };
  },

  // Why the plan is what it is: every grid at its split and its grid at every split (none for
  // layer by layer), and how often each pixel of the patch stage is computed.
  async explain() {
    return { sweep: tryJson(() => need().sweep()), heat: tryJson(() => need().heat()) };
  },

  // The current plan's settings planned both ways at its MCU — every patch recomputing its
  // halo, and rows remembered in rings — then the current plan again (what a download saves).
  async halos({ settings }) {
    const both = {};
    for (const halo of ['recompute', 'cache']) both[halo] = tryJson(() => need().plan(JSON.stringify({ ...settings, halo })));
    need().plan(JSON.stringify(settings));
    const summary = (r) => (r.error ? r : {
      peak: r.patched.peak.bytes, overhead: r.patched.overhead, fits: r.board.fits_sram,
      stages: r.schedule.stages.map(({ rows, cols, halo }) => ({ rows, cols, halo })),
    });
    return { recompute: summary(both.recompute), cache: summary(both.cache) };
  },

  // Which widths × resolutions of a zoo architecture fit the settings' MCU.
  async feasibility({ arch, widths, resolutions, settings }) {
    const json = feasibility(arch, JSON.stringify(widths), JSON.stringify(resolutions), JSON.stringify(settings));
    return { map: JSON.parse(json) };
  },

  // A camera frame as an ImageBitmap (transferred: the main thread only grabs it): its pixels
  // are read here; the answer is the run report and the input exactly as the network saw it.
  // `check` also runs the frame layer by layer and compares every tensor (the exactness
  // badge); `broken` also runs it with the halos blanked (break-it mode).
  async frame({ bitmap, check, broken }) {
    const { width, height } = bitmap;
    if (!grab || grab.width !== width || grab.height !== height) grab = new OffscreenCanvas(width, height);
    const ctx = grab.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const start = performance.now();
    const run = JSON.parse(need().run_rgba(rgba, width, height));
    const ms = performance.now() - start;
    const input = need().last_input();
    const exact = check ? JSON.parse(need().check_exact()) : null;
    const breakage = broken ? tryJson(() => need().break_halos()) : null;
    return { run, ms, input, width, height, exact, breakage, transfer: [input.buffer] };
  },

  async memory() {
    return { wasmBytes: (await ready).memory.buffer.byteLength };
  },
};

/// A report, or the session's reason it has none ({ error }).
function tryJson(call) {
  try {
    return JSON.parse(call());
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}

function need() {
  if (!session) throw new Error('no model loaded');
  return session;
}

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    await ready;
    const { transfer = [], ...answer } = await handlers[type](data);
    self.postMessage({ id, ok: true, ...answer }, transfer);
  } catch (e) {
    data.bitmap?.close();
    self.postMessage({ id, ok: false, error: String(e?.message ?? e) });
  }
};
