/** Training: the fit loop, optimizers, callbacks, the seeded PRNG. */
export {
  fitSettings,
  runFit,
  type AugmentOptions,
  type FitControl,
  type FitOptions,
  type FitSettings,
  type ImageSet,
  type Stepper,
} from './fit.js';
export {
  OPTIMIZERS,
  Optimizer,
  resolveOptimizer,
  stateBuffers,
  type OptimizerConfig,
  type OptimizerName,
  type ResolvedOptimizerConfig,
} from './optimizers.js';
export type { BatchLogs, CallbackModel, CallbackState, Callbacks, EpochLogs, History, TrainLogs } from './callbacks.js';
export {
  earlyStopping,
  reduceLROnPlateau,
  type EarlyStoppingOptions,
  type MonitorName,
  type ReduceLROnPlateauOptions,
} from './monitor-callbacks.js';
export { cosineDecay, exponentialDecay, stepDecay, type LearningRateSchedule, type ScheduleProgress } from './schedules.js';
export { Rng, type Seed } from './rng.js';
