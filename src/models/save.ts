/**
 * Model files: a versioned binary format, written and read without any dependency.
 *
 * ## fmnist-wasm model file, version 1
 * All integers are unsigned 32-bit little-endian; offsets are in bytes.
 *
 * | offset      | size | field                                                                    |
 * |-------------|------|--------------------------------------------------------------------------|
 * | 0           | 8    | magic `89 46 4D 4E 57 0D 0A 1A` ("\x89FMNW\r\n\x1a"; as in PNG's signature, the high byte and CR LF expose 7-bit and newline-translating transfers) |
 * | 8           | 4    | format version = 1                                                       |
 * | 12          | 4    | H = header length                                                        |
 * | 16          | H    | header: UTF-8 JSON, described below                                      |
 * | 16 + H      | P    | P = 0..3 zero bytes, so that the weights start at a multiple of 4        |
 * | A = 16+H+P  | 4    | W = weights length (4 × the total parameter count)                       |
 * | A + 4       | W    | weights: f32 little-endian, the parameters back to back in header order  |
 * | A + 4 + W   | 4    | CRC-32 of bytes [0, A + 4 + W): IEEE 802.3 / zlib / PNG (reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF) |
 *
 * The framing (magic, version, header, CRC) is the one checkpoints share: container.ts. The file is
 * exactly A + 8 + W bytes. The header is one JSON object with, in this order:
 * - `format`: `"fmnist-wasm-model"`;
 * - `name`: the model's name (`"mlp"`, `"sequential"`, …);
 * - `architecture`: `{ "name": "scratch-mlp" | "mlp" | "cnn", "options": {...} }` for models made by
 *   the named factories, else `null` (informational: the layers below are what is rebuilt);
 * - `inputShape`: per-sample input shape, e.g. `[784]` or `[28, 28, 1]`;
 * - `seed`: the initialisation seed;
 * - `layers`: each layer's config, in order (`{ "className": "Dense", "name": "dense_1", "units": 300,
 *   "activation": "sigmoid", "useBias": false, "kernelInitializer": "lecunNormal" }`, Conv2D with
 *   `filters`, `kernelSize`, `padding`; MaxPooling2D with `poolSize`, `strides`; Flatten; Activation;
 *   Dropout with `rate`; BatchNormalization with `momentum`, `epsilon`, whose four weights gamma, beta,
 *   moving_mean, moving_variance are all in `parameters`, trainable or not);
 * - `compile`: `{ "optimizer": { "type", "learningRate", "momentum", "beta1", "beta2", "epsilon" },
 *   "loss": "categoricalCrossentropy", "reduction": "mean" | "sum" }` or `null` (optimizer STATE,
 *   such as Adam's moments, is not saved: a loaded model resumes with fresh state);
 * - `parameters`: `[{ "name": "dense_1/kernel", "shape": [784, 300], "offset": 0, "length": 235200 }, ...]`,
 *   offset and length in f32 elements from the start of the weights; layouts are Keras' (Dense kernel
 *   [in, out], Conv2D kernel HWIO [kh, kw, in, out]);
 * - `classNames` (optional, last): one name per class, when the model's were set (by an application
 *   or an import); absent, a model of 10 classes has Fashion-MNIST's.
 *
 * Reading checks, in order: magic, version, lengths (truncated or trailing bytes), CRC-32, header JSON,
 * then that the layers rebuild and their parameters match the header's names, shapes and offsets and
 * W, then that every weight is finite (no NaN, no ±Inf). Each failure is a `ModelFileError` naming
 * the file and the problem. Serialising is deterministic (no timestamps): the same weights give the
 * same bytes.
 */
import type { Core } from '../core/index.js';
import { ModelFileError } from '../errors.js';
import { size, type LayerConfig } from '../layers/layer.js';
import { array, integer, literal, nullable, object, optional, record, shown, string } from '../util/schema.js';
import { littleEndianBytes, readLittleEndianF32 } from '../util/bytes.js';
import { checkSchema, readContainer, writeContainer, type ContainerKind } from './container.js';
import { checkFinite, modelFromDescription, plannedParameters, type ModelDescription } from './description.js';
import type { Sequential } from './sequential.js';
import type { ArchitectureInfo, ResolvedCompileOptions } from './types.js';

export const MODEL_FILE_MAGIC: readonly number[] = [0x89, 0x46, 0x4d, 0x4e, 0x57, 0x0d, 0x0a, 0x1a];
export const MODEL_FILE_VERSION = 1;
const MODEL_FILE: ContainerKind = { noun: 'fmnist-wasm model file', magic: MODEL_FILE_MAGIC, version: MODEL_FILE_VERSION };
/** Re-exported: the checksum of every file format here (util/bytes.ts). */
export { crc32 } from '../util/bytes.js';

interface ParameterEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface ModelHeader {
  format: 'fmnist-wasm-model';
  name: string;
  architecture: ArchitectureInfo | null;
  inputShape: number[];
  seed: number;
  layers: LayerConfig[];
  compile: ResolvedCompileOptions | null;
  parameters: ParameterEntry[];
}

// ---- serialise ------------------------------------------------------------------------------------

/** The model as a version-1 model file (see the format above). Pure: works in browsers. */
export function serializeModel(model: Sequential): Uint8Array {
  const slots = model.parameterSlots;
  const parameters: ParameterEntry[] = [];
  let offset = 0;
  for (const slot of slots) {
    parameters.push({ name: slot.name, shape: [...slot.shape], offset, length: slot.length });
    offset += slot.length;
  }
  const header: ModelHeader = {
    format: 'fmnist-wasm-model',
    name: model.name,
    architecture: model.architecture ?? null,
    inputShape: [...model.inputShape],
    seed: model.seed,
    layers: model.layers.map((layer) => layer.getConfig()),
    compile: model.compileOptions ?? null,
    parameters,
    // Only names an application or an import set: a file of default names keeps its bytes.
    ...(model.hasOwnClassNames ? { classNames: [...model.classNames] } : {}),
  };
  const memory = model.core.arena.memory.buffer;
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, offset * 4, true);
  const weights = slots.map((slot) => littleEndianBytes(new Float32Array(memory, slot.byteOffset, slot.length)));
  return writeContainer(MODEL_FILE, header, [length, ...weights]);
}

// ---- deserialise ----------------------------------------------------------------------------------

export interface DeserializeOptions {
  /** A core of the model's own; loaded when absent. */
  core?: Core;
  /** How errors name the data (a path, a URL); default `model file`. */
  source?: string;
}

/**
 * Rebuilds a model (layers, weights, compile options) from model-file bytes. Pure: works in browsers.
 * @throws ModelFileError naming `options.source` on bad magic, an unknown version, truncated or
 *   trailing bytes, a checksum mismatch, an unreadable header, weights that do not match it, or a
 *   weight that is NaN or infinite.
 */
export async function deserializeModel(bytes: Uint8Array, options: DeserializeOptions = {}): Promise<Sequential> {
  const source = options.source ?? 'model file';
  return modelFromDescription(describeModelFile(bytes, source), { core: options.core, source });
}

function fail(source: string, problem: string, cause?: unknown): never {
  throw new ModelFileError(source, problem, cause === undefined ? undefined : { cause });
}

const HEADER = object({
  format: literal('fmnist-wasm-model'),
  name: string,
  architecture: optional(nullable(object({ name: string, options: record((value) => value) }))),
  inputShape: array(integer(1), { min: 1 }),
  seed: integer(0),
  layers: array((value, path) => object({ className: string, name: string }, { open: true })(value, path) as LayerConfig, { min: 1 }),
  compile: optional(nullable((value, path) => object({}, { open: true })(value, path) as ResolvedCompileOptions)),
  parameters: array(object({ name: string, shape: array(integer(0)), offset: integer(0), length: integer(0) })),
  classNames: optional(array(string)),
});

/**
 * The model that model-file bytes describe: framing, checksum and header checked, the weights
 * checked against what the header's layers make (before any memory is committed: a small file whose
 * header claims huge layers must not allocate gigabytes). Pure; loads nothing.
 * @throws ModelFileError naming `source`.
 */
export function describeModelFile(bytes: Uint8Array, source = 'model file'): ModelDescription {
  const {
    header: json,
    bodyAt,
    view,
  } = readContainer(bytes, MODEL_FILE, source, (view, at, fail) => {
    const weightBytes = view.getUint32(at, true);
    if (weightBytes % 4 !== 0) fail(`corrupt: the weights length ${weightBytes} is not a multiple of 4`);
    return 4 + weightBytes;
  });
  const header = checkSchema(HEADER, json, source, 'bad header');
  const mismatch = (problem: string) => fail(source, `weights do not match the header: ${problem}`);
  const count = view.getUint32(bodyAt, true) / 4;
  const slots = plannedParameters(header.inputShape, header.layers, source);
  const parameters = slots.reduce((n, slot) => n + size(slot.shape), 0);
  if (parameters !== count) mismatch(`the layers make ${parameters} parameters but the file has ${count} weights`);
  const entries = header.parameters;
  if (entries.length !== slots.length) {
    mismatch(`the layers have ${slots.length} parameters (${slots.map((s) => s.name).join(', ')}), the header lists ${entries.length}`);
  }
  let offset = 0;
  const weights = slots.map((slot, i) => {
    const entry = entries[i]!;
    const length = size(slot.shape);
    if (entry.name !== slot.name) mismatch(`parameter ${i} is ${shown(entry.name)}, the layers make ${JSON.stringify(slot.name)}`);
    if (entry.shape.length !== slot.shape.length || entry.shape.some((d, j) => d !== slot.shape[j])) {
      mismatch(`${slot.name} has shape ${JSON.stringify(entry.shape)} in the header, the layers need [${slot.shape.join(', ')}]`);
    }
    if (entry.length !== length || entry.offset !== offset) {
      mismatch(`${slot.name} is at offset ${entry.offset} with length ${entry.length}, expected offset ${offset} and length ${length}`);
    }
    offset += length;
    return { name: slot.name, shape: [...slot.shape], values: readLittleEndianF32(bytes, bodyAt + 4 + 4 * entry.offset, length) };
  });
  checkFinite(weights, source);
  return {
    name: header.name,
    inputShape: header.inputShape,
    seed: header.seed,
    layers: header.layers,
    weights,
    compile: header.compile ?? undefined,
    architecture: (header.architecture ?? undefined) as ArchitectureInfo | undefined,
    ...(header.classNames === undefined ? {} : { classNames: header.classNames }),
  };
}

// ---- Node files -----------------------------------------------------------------------------------

/**
 * Writes the model to `path` atomically: a temporary file beside it, then a rename (a crash leaves
 * either the old file or the new one, never half of one). Node only.
 * @throws ModelFileError naming `path` when it cannot be written.
 */
export async function saveModel(model: Sequential, path: string): Promise<void> {
  const bytes = serializeModel(model);
  const { writeFileAtomic } = await import('../util/write-atomic.js');
  try {
    await writeFileAtomic(path, bytes);
  } catch (error) {
    fail(path, `cannot write the model file: ${(error as Error).message}`, error);
  }
}

/**
 * Reads a model file written by `saveModel`/`serializeModel`. Node only.
 * @throws ModelFileError naming `path` when it cannot be read or is not a valid model file.
 */
export async function loadModel(path: string, options: { core?: Core } = {}): Promise<Sequential> {
  return deserializeModel(await readModelBytes(path, 'a model file'), { core: options.core, source: path });
}

/** The most a model file or a checkpoint can hold: what a wasm32 core can address. */
const MAX_FILE_BYTES = 2 ** 32;

/**
 * The bytes of a model file or checkpoint at `path`: a regular file of at most 4 GiB (a FIFO or a
 * device is refused, never read). Node only.
 * @throws ModelFileError naming `path`.
 */
export async function readModelBytes(path: string, what: string, missing = 'no such file'): Promise<Uint8Array> {
  const { FileReadProblem, readRegularFile } = await import('../util/read-file.js');
  try {
    return await readRegularFile(path, MAX_FILE_BYTES, what);
  } catch (error) {
    if (error instanceof FileReadProblem) {
      fail(path, error.code === 'ENOENT' ? missing : `cannot read ${what}: ${error.message}`, error);
    }
    throw error;
  }
}
