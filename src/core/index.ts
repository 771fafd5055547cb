/**
 * `loadCore()`: the wasm core, its arena, and a typed-array API for embedding. The typed-array
 * functions copy their inputs into arena temporaries, run one kernel, and copy the result out;
 * layers and training use the zero-copy arena API instead.
 */
import type { CoreExports } from './abi.js';
import { Padding } from './abi.js';
import { Arena } from './arena.js';
import { instantiateCore, type LoadOptions } from './load.js';

export type { CoreExports } from './abi.js';
export { Padding, Reduction } from './abi.js';
export { Arena, type ArenaBuffer, type DType } from './arena.js';
export { hasWasmSimd, UnsupportedRuntimeError, type LoadOptions } from './load.js';

export interface Conv2dShape {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  outChannels: number;
  padding: 'valid' | 'same';
}

export interface MaxPool2dShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
  /** Window size, default 2. */
  size?: number;
  /** Stride, default 2. */
  stride?: number;
}

export interface Core {
  /** The raw kernels: pointers into `exports.memory` and element counts (see abi.ts). */
  readonly exports: CoreExports;
  /** The kernels every model, layer and optimizer calls (the same functions as `exports`; one place to dispatch them). */
  readonly kernels: CoreExports;
  /** The planner for buffers in wasm memory. */
  readonly arena: Arena;
  /** a [m,k] · b [k,n] → [m,n], row-major. */
  matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array;
  /** NHWC input, HWIO filters, stride 1, optional bias [outChannels] → NHWC output. */
  conv2d(input: Float32Array, filters: Float32Array, shape: Conv2dShape, bias?: Float32Array): Float32Array;
  /** NHWC max-pooling over 'valid' windows (floor), like Keras' default. */
  maxPool2d(input: Float32Array, shape: MaxPool2dShape): Float32Array;
  /** Row-wise softmax of x [rows, cols], max-subtracted. */
  softmax(x: Float32Array, rows: number, cols: number): Float32Array;
}

/**
 * Loads the wasm core (Node: the .wasm beside the package; browsers: a URL next to this module,
 * overridable with `options.url`).
 * @throws UnsupportedRuntimeError when the runtime lacks WebAssembly SIMD.
 */
export async function loadCore(options: LoadOptions = {}): Promise<Core> {
  const exports = await instantiateCore(options);
  return createCore(exports);
}

export function createCore(exports: CoreExports): Core {
  const arena = new Arena(exports);

  /** Runs `body` with arena temporaries that are released afterwards, even on error. */
  function withTemporaries<T>(body: () => T): T {
    const mark = arena.mark();
    try {
      return body();
    } finally {
      arena.release(mark);
    }
  }

  function input(name: string, data: Float32Array, shape: number[]) {
    const buffer = arena.allocateCommitted(name, shape);
    arena.f32(buffer).set(data);
    return buffer;
  }

  return {
    exports,
    kernels: exports,
    arena,

    matmul(a, b, m, k, n) {
      checkDims({ m, k, n });
      checkArray('a', a, m * k, `[m, k] = [${m}, ${k}]`);
      checkArray('b', b, k * n, `[k, n] = [${k}, ${n}]`);
      return withTemporaries(() => {
        const ba = input('matmul/a', a, [m, k]);
        const bb = input('matmul/b', b, [k, n]);
        const bc = arena.allocateCommitted('matmul/c', [m, n]);
        const workspace = arena.allocateCommitted('matmul/workspace', [Math.max(16, exports.gemm_f32_workspace_bytes())], 'u8');
        exports.gemm_f32_nn(bc.byteOffset, ba.byteOffset, bb.byteOffset, workspace.byteOffset, m, k, n, 0);
        return arena.f32(bc).slice();
      });
    },

    conv2d(data, filters, shape, bias) {
      const { batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels } = shape;
      checkDims({ batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels }, 'shape.');
      if (shape.padding !== 'valid' && shape.padding !== 'same') {
        throw new RangeError(`shape.padding: expected 'valid' or 'same', got ${JSON.stringify(shape.padding)}`);
      }
      const padding = shape.padding === 'same' ? Padding.Same : Padding.Valid;
      const outHeight = padding === Padding.Same ? height : height - kernelHeight + 1;
      const outWidth = padding === Padding.Same ? width : width - kernelWidth + 1;
      if (outHeight < 1 || outWidth < 1) {
        throw new RangeError(`shape: a ${kernelHeight}x${kernelWidth} kernel does not fit a ${height}x${width} input with 'valid' padding`);
      }
      checkArray('input', data, batch * height * width * inChannels, `[batch, height, width, inChannels] = [${batch}, ${height}, ${width}, ${inChannels}]`);
      checkArray('filters', filters, kernelHeight * kernelWidth * inChannels * outChannels,
        `[kernelHeight, kernelWidth, inChannels, outChannels] = [${kernelHeight}, ${kernelWidth}, ${inChannels}, ${outChannels}]`);
      if (bias !== undefined) checkArray('bias', bias, outChannels, `[outChannels] = [${outChannels}]`);
      return withTemporaries(() => {
        const bi = input('conv2d/input', data, [batch, height, width, inChannels]);
        const bf = input('conv2d/filters', filters, [kernelHeight, kernelWidth, inChannels, outChannels]);
        const bb = bias === undefined ? undefined : input('conv2d/bias', bias, [outChannels]);
        const bo = arena.allocateCommitted('conv2d/output', [batch, outHeight, outWidth, outChannels]);
        const workspaceBytes = exports.conv2d_f32_workspace_bytes(batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding);
        const workspace = arena.allocateCommitted('conv2d/workspace', [Math.max(16, workspaceBytes)], 'u8');
        exports.conv2d_f32_nhwc_forward(bo.byteOffset, bi.byteOffset, bf.byteOffset, bb?.byteOffset ?? 0, workspace.byteOffset,
          batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding);
        return arena.f32(bo).slice();
      });
    },

    maxPool2d(data, shape) {
      const { batch, height, width, channels, size = 2, stride = 2 } = shape;
      checkDims({ batch, height, width, channels, size, stride }, 'shape.');
      if (size > height || size > width) {
        throw new RangeError(`shape.size: a ${size}x${size} window does not fit a ${height}x${width} input`);
      }
      checkArray('input', data, batch * height * width * channels, `[batch, height, width, channels] = [${batch}, ${height}, ${width}, ${channels}]`);
      const outHeight = Math.floor((height - size) / stride) + 1;
      const outWidth = Math.floor((width - size) / stride) + 1;
      return withTemporaries(() => {
        const bi = input('maxPool2d/input', data, [batch, height, width, channels]);
        const bo = arena.allocateCommitted('maxPool2d/output', [batch, outHeight, outWidth, channels]);
        const argmax = arena.allocateCommitted('maxPool2d/argmax', [batch, outHeight, outWidth, channels], 'i32');
        exports.maxpool2d_f32_nhwc_forward(bo.byteOffset, argmax.byteOffset, bi.byteOffset, batch, height, width, channels, size, stride);
        return arena.f32(bo).slice();
      });
    },

    softmax(x, rows, cols) {
      checkDims({ rows, cols });
      checkArray('x', x, rows * cols, `[rows, cols] = [${rows}, ${cols}]`);
      return withTemporaries(() => {
        const bx = input('softmax/x', x, [rows, cols]);
        exports.softmax_f32_forward(bx.byteOffset, bx.byteOffset, rows, cols);
        return arena.f32(bx).slice();
      });
    },
  };
}

function checkDims(dims: Record<string, number>, prefix = ''): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new RangeError(`${prefix}${name}: expected a positive integer, got ${String(value)}`);
    }
  }
}

function checkArray(name: string, array: unknown, expected: number, shapeText: string): void {
  if (!(array instanceof Float32Array)) {
    throw new TypeError(`${name}: expected a Float32Array, got ${array === null ? 'null' : typeof array === 'object' ? (array as object).constructor.name : typeof array}`);
  }
  if (array.length !== expected) {
    throw new RangeError(`${name}: shape ${shapeText} needs ${expected} elements, got ${array.length}`);
  }
}
