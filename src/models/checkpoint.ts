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
import { importNode } from '../util/node.js';
import { align4, littleEndianBytes, readLittleEndianF32 } from '../util/bytes.js';
import type { CallbackModel, CallbackState, Callbacks, History } from '../train/callbacks.js';
import type { MonitorName } from '../train/monitor-callbacks.js';
import { checkSchema, readContainer, writeContainer, type ContainerKind } from './container.js';
import { loadDescribedWeights } from './description.js';
import { describeModelFile, readModelBytes, saveModel, serializeModel } from './save.js';
import { Sequential } from './sequential.js';
import { TRAINING_CONFIG, type TrainingConfig } from './training-config.js';
import { array, boolean, integer, literal, number, object, optional, record, shown, string } from '../util/schema.js';

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
  const header = checkSchema(HEADER, container.header, source, 'bad header');
  if (header.epoch > header.config.epochs) fail(`bad header: epoch ${header.epoch} is past the run's ${header.config.epochs} epochs`);
  const { history } = header;
  for (const [key, list] of Object.entries(history.history)) {
    if (list !== undefined && list.length !== history.epoch.length) {
      fail(`bad header: history.history.${key} has ${list.length} entries, history.epoch ${history.epoch.length}`);
    }
  }
  const blobs = new Map<string, { offset: number; byteLength: number }>();
  let at = container.bodyAt;
  for (const { name, byteLength } of header.blobs) {
    if (at + byteLength > container.bodyEnd) fail(`bad header: blob ${shown(name)} does not fit the file`);
    if (blobs.has(name)) fail(`bad header: blob ${shown(name)} is listed twice`);
    blobs.set(name, { offset: at, byteLength });
    at = align4(at + byteLength);
  }
  if (at !== container.bodyEnd) fail(`trailing or missing bytes: the blobs end at ${at}, the checksum is at ${container.bodyEnd}`);
  const blob = (name: string) => blobs.get(name) ?? fail(`bad header: blob ${name} is missing`);
  const model = blob('model');
  const modelBytes = bytes.slice(model.offset, model.offset + model.byteLength);
  // The weights checked now (framing, layers, finite values), before a caller loads any data.
  let parameters: number;
  try {
    parameters = describeModelFile(modelBytes, source).weights.reduce((n, w) => n + w.values.length, 0);
  } catch (error) {
    if (!(error instanceof ModelFileError)) throw error;
    throw new ModelFileError(source, `its model: ${error.problem}`, { cause: error });
  }
  /** An f32 state blob of finite values (a NaN state would train to NaN). */
  const state = (name: string) => {
    const { offset, byteLength } = blob(name);
    if (byteLength % 4 !== 0) fail(`bad header: blob ${shown(name)} holds ${byteLength} bytes, not a whole number of f32 values`);
    const values = readLittleEndianF32(bytes, offset, byteLength / 4);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`${name}[${bad}] is ${values[bad]}: the saved state must be finite numbers`);
    return values;
  };
  const names = [...blobs.keys()];
  const optimizerBuffers = names.filter((name) => name.startsWith('optimizer/')).map(state);
  // The optimizer's buffers cover the parameters (in the plan's layout, which may pad between them).
  const short = optimizerBuffers.findIndex((buffer) => buffer.length < parameters);
  if (short >= 0)
    fail(`bad header: blob optimizer/${short} holds ${optimizerBuffers[short]!.length} values, the model has ${parameters} parameters`);
  const unknown = names.find((name) => name !== 'model' && !/^(optimizer\/\d+|callbacks\/\d+\/\d+)$/.test(name));
  if (unknown !== undefined) fail(`bad header: unknown blob ${shown(unknown)}`);
  return {
    config: header.config,
    epoch: header.epoch,
    finished: header.finished,
    history,
    model: modelBytes,
    optimizer: { ...header.optimizer, buffers: optimizerBuffers },
    callbacks: header.callbacks.map(({ values }, i) => {
      const weights = names.filter((name) => name.startsWith(`callbacks/${i}/`)).map(state);
      return { values, ...(weights.length > 0 ? { weights } : {}) };
    }),
  };
}

const finiteList = array(number());
const HEADER = object({
  format: literal('fmnist-wasm-checkpoint'),
  config: TRAINING_CONFIG,
  epoch: integer(0),
  finished: boolean,
  optimizer: object({ iterations: integer(0), learningRate: number({ min: 0, exclusiveMin: true }) }),
  history: object({
    epoch: array(integer(0)),
    history: object({
      loss: finiteList,
      accuracy: finiteList,
      valLoss: optional(finiteList),
      valAccuracy: optional(finiteList),
      seconds: finiteList,
      imagesPerSecond: finiteList,
    }),
  }),
  // NaN (no best yet) is written by JSON as null.
  callbacks: array(
    object({
      values: record((value, path) => (typeof value === 'boolean' || value === null ? value : number()(value, path)) as number | boolean),
    }),
  ),
  blobs: array(object({ name: string, byteLength: integer(0) })),
});

/**
 * Reads `DIR/training.ckpt`.
 * @throws ModelFileError naming the file when it is missing, unreadable or not a valid checkpoint.
 */
export async function readCheckpoint(directory: string): Promise<TrainingCheckpoint> {
  const { join } = await importNode('path');
  const path = join(directory, CHECKPOINT_FILE);
  return parseCheckpoint(await readModelBytes(path, 'a checkpoint', 'no checkpoint here (train with --checkpoint-dir first)'), path);
}

/**
 * The callback `trainAndEvaluate` adds for `checkpointDir`: after every epoch (and after the other
 * callbacks, so early stopping's decision is in it) writes the training checkpoint atomically.
 * `stateful` are the run's stateful callbacks, in order; `history` the run's History, which fit has
 * appended the epoch to before it calls this.
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
      const [{ join }, { writeFileAtomic }] = await Promise.all([importNode('path'), import('../util/write-atomic.js')]);
      const path = join(directory, CHECKPOINT_FILE);
      try {
        await writeFileAtomic(path, serializeCheckpoint(checkpoint));
      } catch (error) {
        throw new ModelFileError(path, `cannot write the checkpoint: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

/**
 * Loads a checkpoint's weights and optimizer state into `model` (made from the checkpoint's config),
 * straight from the checkpoint's bytes: no second model, no second core.
 * @throws ModelFileError naming `source` when they do not fit the model.
 */
export function restoreCheckpoint(model: Sequential, checkpoint: TrainingCheckpoint, source: string): void {
  loadDescribedWeights(model, describeModelFile(checkpoint.model, source), source);
  try {
    model.setOptimizerState(checkpoint.optimizer);
  } catch (error) {
    throw new ModelFileError(source, `the checkpoint does not fit its configuration: ${(error as Error).message}`, { cause: error });
  }
}

/** The lock file of a checkpoint directory: the pid of the run that writes there. */
export const CHECKPOINT_LOCK = 'training.lock';

/** Who holds `DIR`'s lock now (a live pid), if anyone; a lock of a dead process holds nothing. */
export async function checkpointLockHolder(directory: string): Promise<number | undefined> {
  const [{ readFile }, { join }, { isRunning }] = await Promise.all([
    importNode('fs/promises'),
    importNode('path'),
    import('../util/write-atomic.js'),
  ]);
  const text = await readFile(join(directory, CHECKPOINT_LOCK), 'utf8').catch(() => undefined);
  const pid = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 && isRunning(pid) ? pid : undefined;
}

/**
 * Takes `DIR` for one run: refuses a directory whose checkpoint would be replaced unasked (one there,
 * not `resuming`, not `overwrite`) and one that another live run holds; writes `DIR/training.lock`
 * with this pid (a stale lock of a dead process is taken over). Returns the release, which also runs
 * if the process exits first. Node only.
 * @throws ArgumentError naming `checkpointDir` and the reason.
 */
export async function claimCheckpointDirectory(
  directory: string,
  options: { resuming: boolean; overwrite?: boolean },
): Promise<() => void> {
  const [fs, { unlinkSync }, { join }] = await Promise.all([importNode('fs/promises'), importNode('fs'), importNode('path')]);
  const checkpoint = join(directory, CHECKPOINT_FILE);
  if (!options.resuming && !options.overwrite && (await fs.stat(checkpoint).catch(() => undefined)) !== undefined) {
    throw new ArgumentError(
      'checkpointDir',
      `${directory} already holds a training checkpoint (${checkpoint}): resume it, or pass overwrite to replace it`,
    );
  }
  await fs.mkdir(directory, { recursive: true });
  const lock = join(directory, CHECKPOINT_LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
    }
    const holder = await checkpointLockHolder(directory);
    if (holder !== undefined) {
      throw new ArgumentError(
        'checkpointDir',
        `${directory} is in use by another run (pid ${holder}, ${lock}): one run per checkpoint directory`,
      );
    }
    // Stale: move it aside (a rename succeeds once), then try to create ours again.
    const aside = `${lock}.${process.pid}.stale`;
    await fs.rename(lock, aside).then(
      () => fs.unlink(aside),
      () => undefined,
    );
  }
  const release = () => {
    process.removeListener('exit', release);
    try {
      unlinkSync(lock);
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return release;
}
