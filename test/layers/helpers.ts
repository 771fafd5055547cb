// Shared by the layer/model/train tests: a model on a fresh core, the matching f64 reference
// network, and small synthetic datasets.
import { loadCore } from '../../src/core/index.js';
import type { Layer, Shape } from '../../src/layers/index.js';
import { Sequential } from '../../src/models/sequential.js';
import type { ImageSet } from '../../src/train/fit.js';
import { rng } from '../helpers/random.js';
import type { RefLayer, RefParams } from './reference-network.js';

/** A model on a core of its own (debug build: the kernels' assertions are on). */
export async function makeModel(inputShape: Shape, layers: Layer[], seed = 1, debug = true): Promise<Sequential> {
  const core = await loadCore({ debug });
  const model = new Sequential(core, { inputShape, layers, seed });
  model.build();
  return model;
}

/** The reference description of a built wasm model, and its current weights in f64. */
export function referenceOf(model: Sequential): { layers: RefLayer[]; params: RefParams } {
  const weights = model.getWeights();
  let next = 0;
  const layers: RefLayer[] = [];
  const params: RefParams = [];
  for (const layer of model.layers) {
    const config = layer.getConfig();
    const input = layer.inputShape!;
    const take = (n: number) => {
      const taken = weights.slice(next, next + n).map((w) => Float64Array.from(w.values));
      next += n;
      return taken;
    };
    switch (config.className) {
      case 'Dense':
        layers.push({ kind: 'dense', inputs: input[0]!, units: config.units, act: config.activation, bias: config.useBias });
        params.push(take(config.useBias ? 2 : 1));
        break;
      case 'Conv2D':
        layers.push({
          kind: 'conv',
          height: input[0]!,
          width: input[1]!,
          channels: input[2]!,
          kh: config.kernelSize[0],
          kw: config.kernelSize[1],
          filters: config.filters,
          same: config.padding === 'same',
          act: config.activation,
          bias: config.useBias,
        });
        params.push(take(config.useBias ? 2 : 1));
        break;
      case 'MaxPooling2D':
        layers.push({
          kind: 'pool',
          height: input[0]!,
          width: input[1]!,
          channels: input[2]!,
          size: config.poolSize,
          stride: config.strides,
        });
        params.push([]);
        break;
      case 'Flatten':
        layers.push({ kind: 'flatten' });
        params.push([]);
        break;
      case 'Activation':
        layers.push({ kind: 'act', act: config.activation });
        params.push([]);
        break;
    }
  }
  return { layers, params };
}

/** Random f32 inputs in [0, 1) and labels in 0..classes−1. */
export function randomBatch(rows: number, inputSize: number, classes: number, seed: number): { x: Float32Array; labels: number[] } {
  const next = rng(seed);
  const x = new Float32Array(rows * inputSize);
  for (let i = 0; i < x.length; i++) x[i] = next();
  const labels = Array.from({ length: rows }, () => Math.floor(next() * classes));
  return { x, labels };
}

/**
 * A learnable synthetic set: `count` images of rows x cols u8 pixels; class c lights up band c of
 * the image (plus noise), so a small model separates the classes in a few epochs.
 */
export function syntheticSet(count: number, rows: number, cols: number, classes: number, seed: number): ImageSet {
  const next = rng(seed);
  const pixels = rows * cols;
  const images = new Uint8Array(count * pixels);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(next() * classes);
    labels[i] = label;
    for (let p = 0; p < pixels; p++) {
      const band = Math.floor((p / pixels) * classes);
      images[i * pixels + p] = Math.min(255, Math.floor(next() * 96) + (band === label ? 150 : 0));
    }
  }
  return { images, labels, count, rows, cols };
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function maxAbs(a: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  return max;
}
