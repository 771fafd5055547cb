/**
 * The public API shared by the Node entry (index.ts) and the browser entry (browser.ts): named
 * exports only, so that nothing internal ships by accident. api/fmnist-wasm.api.md records the list
 * (`npm run api:report`); a test fails when it changes without the report.
 */

// The core: loading it, and the typed-array API (the kernels, the arena and layer authoring are in
// fmnist-wasm/core: src/core-api.ts).
export {
  UnsupportedRuntimeError,
  hasWasmSimd,
  loadCore,
  type Core,
  type KernelSet,
  type LoadOptions,
} from './core/index.js';

// Layers.
export {
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  MaxPooling2D,
  type ActivationName,
  type ActivationOptions,
  type BatchNormalizationOptions,
  type Conv2DOptions,
  type DenseOptions,
  type DropoutOptions,
  type FlattenOptions,
  type InitializerName,
  type LayerConfig,
  type MaxPooling2DOptions,
  type Shape,
} from './layers/index.js';

// Models: Sequential, the paper's architectures, training configurations, model files.
export {
  ARCHITECTURES,
  CHECKPOINT_FILE,
  MODERN_DEFAULTS,
  Sequential,
  TRAINING_PRESETS,
  createModel,
  defaultTrainingConfig,
  deserializeModel,
  evaluateModel,
  loadModel,
  modelCheckpoint,
  readCheckpoint,
  saveModel,
  serializeModel,
  trainAndEvaluate,
  type ArchitectureInfo,
  type ArchitectureName,
  type ArchitectureOptions,
  type Classification,
  type CompileOptions,
  type CreateModelOptions,
  type DeserializeOptions,
  type EvaluateOptions,
  type EvaluateResult,
  type Evaluation,
  type LearningRateScheduleConfig,
  type LossName,
  type ModelCheckpointOptions,
  type ModelImage,
  type OptimizerState,
  type PredictResult,
  type ReductionName,
  type ResolvedCompileOptions,
  type SequentialOptions,
  type TrainAndEvaluateOptions,
  type TrainingCheckpoint,
  type TrainingConfig,
  type TrainingDefaults,
  type TrainingResult,
  type WeightTensor,
} from './models/index.js';

// Training: fit's options, callbacks and history, the optimizers, learning-rate schedules.
export {
  OPTIMIZERS,
  cosineDecay,
  earlyStopping,
  exponentialDecay,
  reduceLROnPlateau,
  stepDecay,
  type AugmentOptions,
  type BatchLogs,
  type CallbackModel,
  type CallbackState,
  type Callbacks,
  type EarlyStoppingOptions,
  type EpochLogs,
  type FitOptions,
  type History,
  type LearningRateSchedule,
  type MonitorName,
  type ReduceLROnPlateauOptions,
  type ScheduleProgress,
  type OptimizerConfig,
  type OptimizerName,
  type ResolvedOptimizerConfig,
  type TrainLogs,
} from './train/index.js';

// Data that needs no Node module: the constants, the pure parsers, image input.
export {
  CLASS_NAMES,
  IMAGE_COLS,
  IMAGE_PIXELS,
  IMAGE_ROWS,
  NUM_CLASSES,
  type ImageSet,
} from './data/classes.js';
export { parseCsv } from './data/csv.js';
export { parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './data/idx.js';
export { toModelInput, type RgbaImage, type ToModelInputOptions } from './data/image.js';

// Metrics.
// metrics/index.ts is a curated list of public names only (the report records them).
export * from './metrics/index.js';

// Errors.
export {
  ArgumentError,
  DataFormatError,
  DataNotFoundError,
  DisposedError,
  DownloadError,
  FmnistError,
  ModelFileError,
  TrainingError,
  type FmnistErrorCode,
} from './errors.js';
