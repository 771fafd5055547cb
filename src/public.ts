/**
 * The public API shared by the Node entry (index.ts) and the browser entry (browser.ts): named
 * exports only, so that nothing internal ships by accident. api/fmnist-wasm.api.md records the list
 * (`npm run api:report`); a test fails when it changes without the report.
 */

// The core: loading, the typed-array API, the zero-copy kernels and arena.
export {
  ActivationCode,
  Arena,
  Padding,
  Reduction,
  UnsupportedRuntimeError,
  hasWasmSimd,
  loadCore,
  type ArenaBuffer,
  type Conv2dShape,
  type Core,
  type CoreExports,
  type DType,
  type KernelSet,
  type LoadOptions,
  type MaxPool2dShape,
} from './core/index.js';

// Layers.
export {
  ACTIVATIONS,
  Activation,
  BatchNormalization,
  Conv2D,
  Dense,
  Dropout,
  Flatten,
  INITIALIZERS,
  Layer,
  MaxPooling2D,
  layerFromConfig,
  type ActivationName,
  type ActivationOptions,
  type BatchNormalizationOptions,
  type BatchSlot,
  type Conv2DOptions,
  type DenseOptions,
  type DropoutOptions,
  type FlattenOptions,
  type ForwardMode,
  type InitializerName,
  type LayerClassName,
  type LayerConfig,
  type MaxPooling2DOptions,
  type ParameterSlot,
  type Shape,
} from './layers/index.js';

// Models: Sequential, the paper's architectures, training configurations, model files.
export {
  ARCHITECTURES,
  CHECKPOINT_FILE,
  MODEL_FILE_MAGIC,
  MODEL_FILE_VERSION,
  MODERN_DEFAULTS,
  Sequential,
  TRAINING_PRESETS,
  architectureLayers,
  buildArchitecture,
  createModel,
  defaultTrainingConfig,
  deserializeModel,
  evaluateModel,
  loadModel,
  modelCheckpoint,
  parseCheckpoint,
  readCheckpoint,
  saveModel,
  serializeCheckpoint,
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
  type ImageSet,
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
  type DataSplit,
} from './data/classes.js';
export { parseCsv } from './data/csv.js';
export { parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './data/idx.js';
export { toModelInput, type RgbaImage, type ToModelInputOptions } from './data/image.js';

// Metrics.
export {
  accuracy,
  classificationReport,
  confusionMatrix,
  formatClassificationReport,
  formatFixed,
  type AverageMetrics,
  type ClassificationReport,
  type ClassMetrics,
  type FormatOptions,
} from './metrics/index.js';

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
