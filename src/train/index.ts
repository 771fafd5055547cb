/** Training: the fit loop, optimizers, callbacks, the seeded PRNG. */
export { fitSettings, runFit, type FitOptions, type FitSettings, type ImageSet, type Stepper } from './fit.js';
export {
  OPTIMIZERS,
  Optimizer,
  resolveOptimizer,
  stateBuffers,
  type OptimizerConfig,
  type OptimizerName,
  type ResolvedOptimizerConfig,
} from './optimizers.js';
export type { BatchLogs, Callbacks, EpochLogs, History, TrainLogs } from './callbacks.js';
export { Rng, type Seed } from './rng.js';
