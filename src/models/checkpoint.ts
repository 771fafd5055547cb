/**
 * Checkpoints, Node only:
 * - `modelCheckpoint` (Keras' ModelCheckpoint): a model file after every epoch, or only when the
 *   monitored metric improved (`saveBestOnly`), written atomically.
 * - The training checkpoint that `trainAndEvaluate` writes (`checkpointDir`) and resumes from
 *   (`resume`): everything a run needs to continue and end bit-identical to the same run left alone.
 *   It is ONE file, `training.ckpt`, written atomically (a temporary file, then a rename) after every
 *   epoch, so the file on disk is always a whole checkpoint, even under SIGKILL during the write.
 *
 * ## fmnist-wasm training checkpoint, version 1
 * Little-endian u32 integers; offsets in bytes.
 *
 * | offset | size | field                                                                          |
 * |--------|------|--------------------------------------------------------------------------------|
 * | 0      | 8    | magic `89 46 4D 4E 43 0D 0A 1A` ("\x89FMNC\r\n\x1a", as the model file's)        |
 * | 8      | 4    | version = 1                                                                    |
 * | 12     | 4    | H = header length                                                              |
 * | 16     | H    | header, UTF-8 JSON: `format` "fmnist-wasm-checkpoint", `config` (TrainingConfig), |
 * |        |      | `epoch` (epochs completed), `finished` (no epoch left to train: the last one  |
 * |        |      | ran or early stopping stopped), `optimizer` { iterations, learningRate },      |
 * |        |      | `history` (History so far), `callbacks` (each stateful callback's `values`),   |
 * |        |      | `blobs` [{ name, byteLength }]                                                 |
 * | …      | …    | the blobs back to back, each starting at a multiple of 4: `model` (a model file, |
 * |        |      | src/models/save.ts), `optimizer/<i>` (f32 state buffers), `callbacks/<i>/<j>`  |
 * |        |      | (f32 weights a callback keeps, e.g. early stopping's best)                     |
 * | end−4  | 4    | CRC-32 of every byte before it                                                 |
 *
 * What is not in it, because it is a function of what is: the shuffle order (replayed from the
 * seed for the completed epochs), the per-step seeds of dropout and augmentation (from the model
 * seed and `iterations`), and the schedule's position (from the epoch and step).
 */
import { ArgumentError, ModelFileError } from '../errors.js';
import { align4, littleEndianBytes, readLittleEndianF32 } from '../util/bytes.js';
import type { CallbackModel, CallbackState, Callbacks, History } from '../train/callbacks.js';
import type { MonitorName } from '../train/monitor-callbacks.js';
import { readContainer, writeContainer, type ContainerKind } from './container.js';
import { deserializeModel, saveModel, serializeModel } from './save.js';
import { Sequential } from './sequential.js';
import type { TrainingConfig } from './training-config.js';

export const CHECKPOINT_MAGIC: readonly number[] = [0x89, 0x46, 0x4d, 0x4e, 0x43, 0x0d, 0x0a, 0x1a];
export const CHECKPOINT_VERSION = 1;
const CHECKPOINT: ContainerKind = { noun: 'fmnist-wasm training checkpoint', magic: CHECKPOINT_MAGIC, version: CHECKPOINT_VERSION };
/** The training checkpoint's name in its directory. */
export const CHECKPOINT_FILE = 'training.ckpt';

export interface ModelCheckpointOptions {
  /** The file to write; `{epoch}` is replaced by the 1-based epoch (e.g. `model-{epoch}.fmnist`). */
  path: string;
  /** Write only when `monitor` improved on every earlier epoch. Default false: after every epoch. */
  saveBestOnly?: boolean;
  /** Default 'valLoss'. Accuracies improve upwards, losses downwards. */
  monitor?: MonitorName;
}

/**
 * Keras' ModelCheckpoint: saves the model (a model file, atomically) at the end of epochs.
 * @throws ArgumentError on an empty path; while training, ArgumentError when `monitor` is not in the
 *   logs and ModelFileError naming the file when it cannot be written.
 */
export function modelCheckpoint(options: ModelCheckpointOptions): Callbacks {
  if (typeof options?.path !== 'string' || options.path === '') throw new ArgumentError('modelCheckpoint path', 'expected a file name');
  const monitor = options.monitor ?? 'valLoss';
  const higherIsBetter = monitor.endsWith('ccuracy');
  let model: Sequential | undefined;
  let best = Number.NaN;
  return {
    setModel(m) {
      model = sequentialOf(m);
    },
    onTrainBegin() {
      best = Number.NaN;
    },
    async onEpochEnd(epoch, logs) {
      if (options.saveBestOnly) {
        const value = logs[monitor];
        if (value === undefined)
          throw new ArgumentError('monitor', `'${monitor}' is not in the epoch logs: give fit validationData or validationSplit`);
        if (!Number.isNaN(best) && !(higherIsBetter ? value > best : value < best)) return;
        best = value;
      }
      await saveModel(model!, options.path.replaceAll('{epoch}', String(epoch + 1)));
    },
  };
}

function sequentialOf(model: CallbackModel): Sequential {
  if (!(model instanceof Sequential)) throw new Error('internal: a checkpoint callback needs the Sequential that fit passes');
  return model;
}

/** A training checkpoint, read back. */
export interface TrainingCheckpoint {
  config: TrainingConfig;
  /** Epochs completed. */
  epoch: number;
  /** True when no epoch is left to train. */
  finished: boolean;
  history: History;
  /** Model-file bytes of the weights after `epoch`. */
  model: Uint8Array;
  optimizer: { iterations: number; learningRate: number; buffers: Float32Array[] };
  /** Per stateful callback, in the order the run lists them. */
  callbacks: CallbackState[];
}

interface CheckpointHeader {
  format: 'fmnist-wasm-checkpoint';
  config: TrainingConfig;
  epoch: number;
  finished: boolean;
  optimizer: { iterations: number; learningRate: number };
  history: History;
  callbacks: { values: CallbackState['values'] }[];
  blobs: { name: string; byteLength: number }[];
}

/** The checkpoint as bytes (see the format above). */
export function serializeCheckpoint(checkpoint: TrainingCheckpoint): Uint8Array {
  const blobs: { name: string; bytes: Uint8Array }[] = [
    { name: 'model', bytes: checkpoint.model },
    ...checkpoint.optimizer.buffers.map((buffer, i) => ({ name: `optimizer/${i}`, bytes: littleEndianBytes(buffer) })),
    ...checkpoint.callbacks.flatMap((state, i) =>
      (state.weights ?? []).map((w, j) => ({ name: `callbacks/${i}/${j}`, bytes: littleEndianBytes(w) })),
    ),
  ];
  const header: CheckpointHeader = {
    format: 'fmnist-wasm-checkpoint',
    config: checkpoint.config,
    epoch: checkpoint.epoch,
    finished: checkpoint.finished,
    optimizer: { iterations: checkpoint.optimizer.iterations, learningRate: checkpoint.optimizer.learningRate },
    history: checkpoint.history,
    callbacks: checkpoint.callbacks.map((state) => ({ values: state.values })),
    blobs: blobs.map(({ name, bytes }) => ({ name, byteLength: bytes.length })),
  };
  return writeContainer(
    CHECKPOINT,
    header,
    blobs.map(({ bytes }) => bytes),
  );
}

/**
 * Reads checkpoint bytes.
 * @throws ModelFileError naming `source` on bad magic, an unknown version, a wrong length or checksum,
 *   or an unreadable header.
 */
export function parseCheckpoint(bytes: Uint8Array, source: string): TrainingCheckpoint {
  const fail = (problem: string): never => {
    throw new ModelFileError(source, problem);
  };
  const container = readContainer(bytes, CHECKPOINT, source);
  const header = container.header as CheckpointHeader;
  if (header?.format !== 'fmnist-wasm-checkpoint' || !Array.isArray(header.blobs)) fail('bad header: not a training checkpoint header');
  const blobs = new Map<string, { offset: number; byteLength: number }>();
  let at = container.bodyAt;
  for (const { name, byteLength } of header.blobs) {
    if (!Number.isSafeInteger(byteLength) || byteLength < 0 || at + byteLength > container.bodyEnd)
      fail(`bad header: blob ${name} does not fit the file`);
    blobs.set(name, { offset: at, byteLength });
    at = align4(at + byteLength);
  }
  if (at !== container.bodyEnd) fail(`trailing or missing bytes: the blobs end at ${at}, the checksum is at ${container.bodyEnd}`);
  const blob = (name: string) => blobs.get(name) ?? fail(`bad header: blob ${name} is missing`);
  const f32 = (name: string) => {
    const { offset, byteLength } = blob(name);
    return readLittleEndianF32(bytes, offset, byteLength / 4);
  };
  const model = blob('model');
  const optimizerBuffers = [...blobs.keys()].filter((name) => name.startsWith('optimizer/')).map(f32);
  return {
    config: header.config,
    epoch: header.epoch,
    finished: header.finished,
    history: header.history,
    model: bytes.slice(model.offset, model.offset + model.byteLength),
    optimizer: { ...header.optimizer, buffers: optimizerBuffers },
    callbacks: header.callbacks.map(({ values }, i) => {
      const weights = [...blobs.keys()].filter((name) => name.startsWith(`callbacks/${i}/`)).map(f32);
      return { values, ...(weights.length > 0 ? { weights } : {}) };
    }),
  };
}

/**
 * Reads `DIR/training.ckpt`.
 * @throws ModelFileError naming the file when it is missing, unreadable or not a valid checkpoint.
 */
export async function readCheckpoint(directory: string): Promise<TrainingCheckpoint> {
  const [{ readFile }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
  const path = join(directory, CHECKPOINT_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(
      path,
      code === 'ENOENT' ? 'no checkpoint here (train with --checkpoint-dir first)' : (error as Error).message,
      { cause: error },
    );
  }
  return parseCheckpoint(bytes, path);
}

/**
 * The callback `trainAndEvaluate` adds for `checkpointDir`: after every epoch (and after the other
 * callbacks, so early stopping's decision is in it) writes the training checkpoint atomically.
 * `stateful` are the run's stateful callbacks, in order; `prefix` the history before this fit.
 */
export function trainingCheckpointCallback(
  directory: string,
  config: TrainingConfig,
  stateful: readonly Callbacks[],
  history: History,
): Callbacks {
  let model: Sequential | undefined;
  return {
    setModel(m) {
      model = sequentialOf(m);
    },
    async onEpochEnd(epoch) {
      const m = model!;
      const checkpoint: TrainingCheckpoint = {
        config,
        epoch: epoch + 1,
        finished: m.stopTraining || epoch + 1 >= config.epochs,
        history,
        model: serializeModel(m),
        optimizer: m.getOptimizerState(),
        callbacks: stateful.map((callback) => callback.getState!()),
      };
      const [{ join }, { writeFileAtomic }] = await Promise.all([import('node:path'), import('../util/write-atomic.js')]);
      const path = join(directory, CHECKPOINT_FILE);
      try {
        await writeFileAtomic(path, serializeCheckpoint(checkpoint));
      } catch (error) {
        throw new ModelFileError(path, `cannot write the checkpoint: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/** Loads a checkpoint's weights and optimizer state into `model` (made from the checkpoint's config). */
export async function restoreCheckpoint(model: Sequential, checkpoint: TrainingCheckpoint, source: string): Promise<void> {
  const saved = await deserializeModel(checkpoint.model, { source });
  try {
    model.setWeights(saved.getWeights());
    model.setOptimizerState(checkpoint.optimizer);
  } catch (error) {
    throw new ModelFileError(source, `the checkpoint does not fit its configuration: ${(error as Error).message}`, { cause: error });
  } finally {
    saved.dispose();
  }
}
