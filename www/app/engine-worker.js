// Our host adapter to the engine: each EngineWorker is a module worker (worker.js) holding
// one wasm Session. One worker plans (and is restarted when newer settings supersede its
// search), one runs camera frames meanwhile, and the feasibility map gets one of its own.

export class EngineWorker {
  constructor() {
    this.start();
  }

  start() {
    this.worker = new Worker(new URL('../worker.js', import.meta.url), { type: 'module' });
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

  /// The worker's answer to a `type` request, or its error as a rejection.
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

export const planner = new EngineWorker();
export const runner = new EngineWorker();
