/**
 * A model's run plans: the current one, kept while its batch size and datasets serve (fit → evaluate
 * on the validation set re-uploads nothing), and, while a fit holds it, temporary ones planned above it
 * and released afterwards, so evaluate/predict from a callback never move the training's buffers.
 */
import type { Core } from '../core/index.js';
import type { ImageSet } from '../train/fit.js';
import { Executor } from './execute.js';
import { findSet, planRun, type ModelPlan, type PlannedSet, type RunPlan } from './plan.js';

export class RunPlans {
  private current: RunPlan | undefined;
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

  /** Forgets the current run (its memory is re-planned from `base` next time). */
  clear(): void {
    this.current = undefined;
  }

  /**
   * The run for `rows` and `sets`: the current one when it has these rows and holds every set, else a
   * new one planned from the arena position `base`, replacing it.
   */
  prepare(model: ModelPlan, base: number, rows: number, sets: readonly ImageSet[]): RunPlan {
    const current = this.current;
    if (current && current.rows === rows && sets.every((set) => findSet(current, set) !== undefined)) return current;
    this.core.arena.release(base);
    this.current = undefined;
    this.current = planRun(this.core, model, rows, sets);
    return this.current;
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
