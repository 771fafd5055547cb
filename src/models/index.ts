/** Models: Sequential (Keras vocabulary), the paper's named architectures, model files. */
export {
  Sequential,
  type ArchitectureInfo,
  type CompileOptions,
  type EvaluateOptions,
  type EvaluateResult,
  type LossName,
  type OptimizerState,
  type PredictResult,
  type ReductionName,
  type ResolvedCompileOptions,
  type SequentialOptions,
  type WeightTensor,
} from './sequential.js';
export type { Classification, ModelImage } from './inference.js';
export {
  ARCHITECTURES,
  MODERN_DEFAULTS,
  architectureLayers,
  architectureOptionsRecord,
  buildArchitecture,
  createModel,
  type ArchitectureName,
  type ArchitectureOptions,
  type CreateModelOptions,
  type TrainingDefaults,
} from './architectures.js';
export {
  TRAINING_PRESETS,
  defaultTrainingConfig,
  evaluateModel,
  trainAndEvaluate,
  type Evaluation,
  type LearningRateScheduleConfig,
  type TrainAndEvaluateOptions,
  type TrainingConfig,
  type TrainingResult,
} from './training.js';
export {
  MODEL_FILE_MAGIC,
  MODEL_FILE_VERSION,
  crc32,
  deserializeModel,
  loadModel,
  saveModel,
  serializeModel,
  type DeserializeOptions,
} from './save.js';
export {
  CHECKPOINT_FILE,
  modelCheckpoint,
  parseCheckpoint,
  readCheckpoint,
  serializeCheckpoint,
  type ModelCheckpointOptions,
  type TrainingCheckpoint,
} from './checkpoint.js';
