/**
 * A model's run plans, stacked above its optimizer state in this order:
 *   1. the current run (activations and gradients for one batch size, the uploaded datasets), kept
 *      while its batch size and datasets serve (fit → evaluate on the validation set re-uploads
 *      nothing);
 *   2. the inference run (forward-only buffers for `predict`), kept above it whatever the current
 *      run is used for, and re-planned only for a larger call than it holds, up to
 *      MAX_INFERENCE_ROWS: a small call never shrinks what a later large one uses, and a call that
 *      fits plans and allocates nothing;
 *   3. while a fit holds the current run, temporary runs planned above everything for an
 *      evaluation from a callback and released afterwards, so nothing below ever moves.
 * Replacing the current run releases everything above it; the inference run is planned again on
 * its next use.
 */
import type { Core } from '../core/index.js';
import type { ImageSet } from '../train/fit.js';
import { Executor } from './execute.js';
import { findSet, planInferenceRun, planRun, type InferenceRun, type ModelPlan, type PlannedSet, type RunPlan } from './plan.js';

/** Rows per forward pass of `predict` at most: a larger call runs in passes of this many. */
export const MAX_INFERENCE_ROWS = 256;

export class RunPlans {
  private current: RunPlan | undefined;
  /** Arena position after the current run (where the inference run starts). */
  private currentTop = 0;
  private inference: InferenceRun | undefined;
  /** True while a fit trains on the current run: it must not be replaced. */
  held = false;

  constructor(private readonly core: Core) {}

  /** Batch capacity of the current run, if any. */
  get rows(): number | undefined {
    return this.current?.rows;
  }

  /** The datasets the current run holds. */
  get sets(): ImageSet[] {
    return this.current?.sets.map((s) => s.set) ?? [];
  }

  /** Forgets every run (their memory is re-planned from the model's base next time). */
  clear(): void {
    this.current = undefined;
    this.inference = undefined;
  }

  /**
   * The run for `rows` and `sets`: the current one when it has these rows and holds every set, else a
   * new one planned from the arena position `base`, replacing it (and dropping the inference run).
   */
  prepare(model: ModelPlan, base: number, rows: number, sets: readonly ImageSet[]): RunPlan {
    const current = this.current;
    if (current && current.rows === rows && sets.every((set) => findSet(current, set) !== undefined)) return current;
    this.core.arena.release(base);
    this.clear();
    this.current = planRun(this.core, model, rows, sets);
    this.currentTop = this.core.arena.mark();
    return this.current;
  }

  /**
   * The inference run for passes of up to `rows` (at most MAX_INFERENCE_ROWS): the kept one when it
   * holds that many, else one for the next power of two, planned above the current run (or at `base`
   * without one). Never moves the current run.
   */
  inferenceFor(model: ModelPlan, base: number, rows: number): InferenceRun {
    const kept = this.inference;
    if (kept !== undefined && kept.rows >= rows) return kept;
    this.core.arena.release(this.current ? this.currentTop : base);
    this.inference = undefined;
    const capacity = Math.min(MAX_INFERENCE_ROWS, 2 ** Math.ceil(Math.log2(rows)));
    this.inference = planInferenceRun(this.core, model, capacity);
    return this.inference;
  }

  /**
   * Runs `body` on the current run when `fits` it; else on a new run for `rows` and `sets`: replacing
   * the current one, or, while held, above it and released afterwards.
   */
  with<T>(
    model: ModelPlan,
    base: number,
    rows: number,
    sets: readonly ImageSet[],
    fits: (run: RunPlan) => boolean,
    body: (executor: Executor) => T,
  ): T {
    const current = this.current;
    if (current && fits(current)) return body(new Executor(this.core, model, current));
    if (!this.held) return body(new Executor(this.core, model, this.prepare(model, base, rows, sets)));
    const arena = this.core.arena;
    const mark = arena.mark();
    try {
      return body(new Executor(this.core, model, planRun(this.core, model, rows, sets)));
    } finally {
      arena.release(mark);
    }
  }
}

/** The run's upload of `set`; the run was planned with it. */
export function plannedSet(run: RunPlan, set: ImageSet): PlannedSet {
  const planned = findSet(run, set);
  if (!planned) throw new Error('internal: dataset not planned');
  return planned;
}
