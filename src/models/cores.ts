/**
 * One model per core: a model plans its core's whole arena, so a core serves the first model made on
 * it, and a disposed core none (its instance may serve another core by then: core/recycle.ts).
 */
import { assertNotDisposed } from '../core/core.js';
import type { Core } from '../core/index.js';
import { ArgumentError, describeValue } from '../errors.js';
import type { Shape } from '../layers/layer.js';
import type { SequentialOptions } from './types.js';

const coresInUse = new WeakSet<Core>();

/**
 * Checks a new model's core and options, then claims the core for it.
 * @throws DisposedError when the core was disposed; ArgumentError naming `core` (it serves another
 *   model), `inputShape` or `seed`, and the core stays free then.
 */
export function claimCore(core: Core, options: SequentialOptions): { inputShape: Shape; seed: number } {
  assertNotDisposed(core); // before the check below: a disposed core may have held another model
  if (coresInUse.has(core)) {
    throw new ArgumentError('core', "this core already holds another model's arena: call loadCore() once per model (it is cheap)");
  }
  if (
    !Array.isArray(options.inputShape) ||
    options.inputShape.length === 0 ||
    !options.inputShape.every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new ArgumentError(
      'inputShape',
      `expected positive integer dimensions such as [784] or [28, 28, 1], got ${describeValue(options.inputShape)}`,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError('seed', `expected a non-negative integer, got ${describeValue(seed)}`);
  coresInUse.add(core);
  return { inputShape: [...options.inputShape], seed };
}
