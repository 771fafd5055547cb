/**
 * `predict` and `classify`: images through the model's inference run (src/models/runs.ts), a
 * forward-only plan kept for the model's life (re-planned only for a larger batch than it holds).
 *
 * A call that fits the kept run plans nothing and allocates nothing in wasm memory. The image is
 * copied once into the run: u8 pixels into its staging bytes, which the gather kernel scales by 1/255
 * into the f32 input (as the training gather does); f32 values straight into the input. The layers
 * run on the run's fixed addresses with the inference mode, and the output is copied out. The typed
 * views of the run are made once and re-made only when the run or the memory's buffer changes (wasm
 * memory grows only when a plan commits), so one image with a given `output` allocates nothing in JS.
 *
 * Every kernel computes a row from that row alone, so an image gives the same bits alone and inside
 * a batch, in passes of any size (test/models/inference.test.ts).
 */
import type { CoreExports } from '../core/abi.js';
import { CLASS_NAMES } from '../data/classes.js';
import { toModelInput, type RgbaImage } from '../data/image.js';
import { ArgumentError } from '../errors.js';
import { INFERENCE } from '../layers/layer.js';
import type { InferenceRun, ModelPlan } from './plan.js';
import { MAX_INFERENCE_ROWS, type RunPlans } from './runs.js';
import type { PredictResult } from './types.js';

/** One image as `predict` and `classify` take it. */
export type ModelImage = Uint8Array | Float32Array | RgbaImage;

/** What `classify` returns. */
export interface Classification {
  /** The most probable class (the first one on a tie). */
  label: number;
  /** Its name (`Sequential.classNames`). */
  className: string;
  /** Its probability (the model's output at `label`). */
  probability: number;
  /** The model's output for every class. */
  probabilities: Float32Array;
}

/** `predict` and `classify` of one model on its inference run, with the run's views kept between calls. */
export class Inference {
  private run: InferenceRun | undefined;
  private buffer: ArrayBufferLike | undefined;
  private input = new Float32Array(0);
  private staging = new Uint8Array(0);
  private output = new Float32Array(0);
  /** The first row of `output`: one image's result. */
  private first = new Float32Array(0);
  private labels = new Int32Array(0);

  constructor(
    private readonly k: CoreExports,
    private readonly model: ModelPlan,
    private readonly runs: RunPlans,
    /** Where the model's run plans start (after the optimizer state once compiled). */
    private readonly base: () => number,
  ) {}

  /** One image's output, in `output` when given (Sequential.predict documents it). */
  one(image: ModelImage, output?: Float32Array): Float32Array {
    const { model } = this;
    const pixels = imagePixels(model, image);
    const out = outputBuffer(output, model.classes, `${model.classes} classes`);
    this.pass(this.runs.inferenceFor(model, this.base(), 1), pixels, 0, 1);
    out.set(this.first);
    return out;
  }

  /** `count` images' outputs and argmax labels, the outputs in `output` when given (Sequential.predict documents it). */
  batch(images: Uint8Array | Float32Array, count: number, output?: Float32Array): PredictResult {
    const { model } = this;
    const { classes } = model;
    checkImages(model, images, count);
    const probabilities = outputBuffer(output, count * classes, `${count} images x ${classes} classes`);
    const labels = new Int32Array(count);
    const run = this.runs.inferenceFor(model, this.base(), Math.min(count, MAX_INFERENCE_ROWS));
    for (let first = 0; first < count; first += run.rows) {
      const rows = Math.min(run.rows, count - first);
      this.pass(run, images, first, rows);
      probabilities.set(rows === run.rows ? this.output : this.output.subarray(0, rows * classes), first * classes);
      this.k.argmax_f32_rows(run.predictions, run.output, rows, classes);
      labels.set(rows === run.rows ? this.labels : this.labels.subarray(0, rows), first);
    }
    return { labels, probabilities };
  }

  /** The most probable class of one image, named by `names` (Sequential.classify documents it). */
  classify(image: ModelImage, names: readonly string[], output?: Float32Array): Classification {
    const probabilities = this.one(image, output);
    const label = argmax(probabilities, this.model.classes);
    return { label, className: names[label]!, probability: probabilities[label]!, probabilities };
  }

  /** Uploads images first..first + rows − 1 into the run's input and runs every layer. */
  private pass(run: InferenceRun, images: Uint8Array | Float32Array, first: number, rows: number): void {
    const { k, model } = this;
    const { pixels, classes, layers } = model;
    this.bind(run);
    const values = rows * pixels === images.length ? images : images.subarray(first * pixels, (first + rows) * pixels);
    if (values instanceof Float32Array) {
      this.input.set(values);
    } else {
      this.staging.set(values);
      // targets 0: no one-hot, so the labels pointer is never read.
      k.gather_batch_u8_f32(run.input, 0, run.stagingPixels, run.stagingPixels, run.stagingIndices, rows, pixels, classes);
    }
    const { slices } = run;
    if (slices !== undefined) {
      for (let s = 0, first = 0; first < rows; s++, first += slices.rows) {
        const sliceRows = Math.min(slices.rows, rows - first);
        for (let i = 0; i < slices.layers; i++) layers[i]!.forward(k, slices.views[s]![i]!, sliceRows, false, INFERENCE);
      }
    }
    for (let i = slices?.layers ?? 0; i < layers.length; i++) layers[i]!.forward(k, run.layers[i]!, rows, false, INFERENCE);
  }

  /** Makes the views when the run or the memory's buffer changed since the last call. */
  private bind(run: InferenceRun): void {
    const buffer = this.k.memory.buffer;
    if (run === this.run && buffer === this.buffer) return;
    const { pixels, classes } = this.model;
    this.input = new Float32Array(buffer, run.input, run.rows * pixels);
    this.staging = new Uint8Array(buffer, run.stagingPixels, run.rows * pixels);
    this.output = new Float32Array(buffer, run.output, run.rows * classes);
    this.first = this.output.subarray(0, classes);
    this.labels = new Int32Array(buffer, run.predictions, run.rows);
    this.run = run;
    this.buffer = buffer;
  }
}

/**
 * The pixels of one image, checked against the model's input size: a typed array as given, an
 * RgbaImage (or ImageData) made 28x28 gray by `toModelInput`.
 * @throws ArgumentError naming `image` on another type, another size, or a value that is not finite.
 */
function imagePixels(model: ModelPlan, image: ModelImage): Uint8Array | Float32Array {
  const { pixels } = model;
  if (image instanceof Uint8Array || image instanceof Float32Array) {
    if (image.length !== pixels) {
      throw new ArgumentError(
        'image',
        `expected one image of ${pixels} values, got ${image.length} (for several images call predict(images, count))`,
      );
    }
    if (image instanceof Float32Array) checkFinite('image', image, pixels);
    return image;
  }
  if (image !== null && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    let converted: Uint8Array;
    try {
      converted = toModelInput(image);
    } catch (error) {
      throw new ArgumentError('image', (error as Error).message.replace(/^image: /, ''));
    }
    if (converted.length !== pixels) {
      throw new ArgumentError('image', `an RGBA image becomes ${converted.length} gray pixels; this model takes ${pixels} values`);
    }
    return converted;
  }
  throw new ArgumentError(
    'image',
    `expected a Uint8Array of ${pixels} pixels (0..255), a Float32Array of ${pixels} values (0..1) or an RgbaImage/ImageData, got ${kindOf(image)}`,
  );
}

/**
 * That `count` images of u8 pixels or f32 values fill `images` exactly, every value finite.
 * @throws ArgumentError naming `count` or `images` (with the index of the first image that holds NaN or ±Infinity).
 */
function checkImages(model: ModelPlan, images: Uint8Array | Float32Array, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new ArgumentError('count', `expected a positive integer, got ${kindOf(count)}`);
  if (!(images instanceof Uint8Array) && !(images instanceof Float32Array)) {
    throw new ArgumentError('images', `expected a Uint8Array (pixels 0..255) or a Float32Array (values 0..1), got ${kindOf(images)}`);
  }
  if (images.length !== count * model.pixels) {
    throw new ArgumentError('images', `expected ${count} x ${model.pixels} = ${count * model.pixels} values, got ${images.length}`);
  }
  if (images instanceof Float32Array) checkFinite('images', images, model.pixels);
}

/**
 * `output` when it is a Float32Array of at least `values` values, a new Float32Array(values) when absent.
 * @throws ArgumentError naming `output` otherwise.
 */
function outputBuffer(output: unknown, values: number, what: string): Float32Array {
  if (output === undefined) return new Float32Array(values);
  if (!(output instanceof Float32Array) || output.length < values) {
    const got = output instanceof Float32Array ? `a Float32Array of ${output.length}` : kindOf(output);
    throw new ArgumentError('output', `expected a Float32Array of at least ${values} values (${what}), got ${got}`);
  }
  return output;
}

/** The index of the largest value, the first one on a tie; a NaN ranks above every number (as argmax_f32_rows). */
function argmax(values: Float32Array, count: number): number {
  let best = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) return i;
    if (v > values[best]!) best = i;
  }
  return best;
}

/** The labels as text, by class count (made once per count: classify reads them on every call). */
const LABEL_NAMES = new Map<number, readonly string[]>();

/** Fashion-MNIST's names for a model of its 10 classes, else the labels as text. */
export function defaultClassNames(classes: number): readonly string[] {
  if (classes === CLASS_NAMES.length) return CLASS_NAMES;
  let names = LABEL_NAMES.get(classes);
  if (names === undefined) {
    names = Object.freeze(Array.from({ length: classes }, (_, i) => String(i)));
    LABEL_NAMES.set(classes, names);
  }
  return names;
}

/** @throws ArgumentError naming `argument` and the image index of the first value that is NaN or ±Infinity. */
function checkFinite(argument: string, values: Float32Array, pixels: number): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v − v is 0 for every finite v, NaN for NaN and ±Infinity.
    if (v - v !== 0) {
      const where = argument === 'image' ? `value ${i}` : `image ${Math.floor(i / pixels)} (value ${i % pixels})`;
      throw new ArgumentError(argument, `${where} is ${v}: inputs must be finite numbers`);
    }
  }
}

/** A received value's kind for a message (never a typed array's contents). */
function kindOf(value: unknown): string {
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as unknown as ArrayLike<unknown>).length}`;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? `an array of ${value.length}` : 'an object';
}
