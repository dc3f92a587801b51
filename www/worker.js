// The engine off the main thread: one wasm Session per worker. The page runs two of these,
// one that plans (and is restarted when a newer settings change supersedes its work) and one
// that keeps running camera frames meanwhile. Every answer is the session's own report.
import init, { catalog, Session } from './pkg/mcupatch.js';

const ready = init();
let session = null;

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

  async plan({ settings }) {
    const start = performance.now();
    const report = JSON.parse(need().plan(JSON.stringify(settings)));
    return { report, ms: performance.now() - start };
  },

  // A camera frame (its buffer is transferred here and back): the run report and the input
  // exactly as the network saw it.
  async frame({ rgba, width, height }) {
    const start = performance.now();
    const run = JSON.parse(need().run_rgba(new Uint8Array(rgba), width, height));
    const ms = performance.now() - start;
    const input = need().last_input();
    return { run, ms, input, rgba, transfer: [input.buffer, rgba] };
  },

  async memory() {
    return { wasmBytes: (await ready).memory.buffer.byteLength };
  },
};

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
    // A failed frame hands its buffer back too, so the page can reuse it.
    const transfer = data.rgba ? [data.rgba] : [];
    self.postMessage({ id, ok: false, error: String(e?.message ?? e), rgba: data.rgba }, transfer);
  }
};
