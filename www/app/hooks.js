// The page's test API (tests/web/e2e.mjs, benches/page.mjs): read-only views of the store
// and the engine's reports, plus one way in that sets every control at once.
import { state } from './store.js';
import { planner, runner } from './engine-worker.js';
import { applySettings, settingsFromControls } from './settings.js';
import { cliFlags } from './url.js';
import { replan } from './model.js';

export function installHooks() {
  // The last frame exactly as the engine saw it and what it answered, for checking the page
  // against the CLI on the same bytes (`mcupatch run --input-raw`).
  window.mcupatchLastFrame = () => state.run && { input: Array.from(state.input), run: state.run };
  // The engine's catalog (MCU presets, grid limits, zoo architectures).
  window.mcupatchCatalog = () => state.catalog;
  // The loaded model's report (its labels, output kind, input range).
  window.mcupatchModel = () => state.model;
  // The current PlanReport as the engine returned it, and its settings as CLI flags.
  window.mcupatchPlan = () => state.reportJson && JSON.parse(state.reportJson);
  window.mcupatchFlags = () => cliFlags(settingsFromControls());
  // The CLI commands the page shows for its plan.
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
}
