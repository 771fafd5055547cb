/**
 * The typed-array functions of a core (`Core.matmul` and the rest, core.ts), for embedding: each
 * checks its shapes, copies its inputs into arena temporaries, runs one kernel through
 * `core.kernels` (so on the core's threads), and returns its result: in `out` when given (a loop
 * that passes one allocates nothing; allocating a 153 KB result took 0.14-0.17 ms here, 5-8% of a
 * 128x784x300 matmul), else as a new Float32Array. Inputs are never modified.
 * @throws RangeError (shapes that do not match the arrays, sizes that are not positive integers)
 *   and TypeError (an input that is not a Float32Array), naming the argument.
 */
import { Padding } from './abi.js';
import type { CoreExports } from './abi.js';
import type { Arena, ArenaBuffer, DType } from './arena.js';
import { quietWorkers } from './pool.js';

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

/** What the typed-array functions work with: the core's arena and kernels; `usable` throws once the core is disposed. */
export interface TypedContext {
  arena: Arena;
  kernels: CoreExports;
  usable(): void;
  /** The core's id in the worker pool (0: one thread), so the copies end other cores' workers' spin. */
  coreId: number;
}

interface Temporary {
  shape: number[];
  dtype?: DType;
  /** Copied in once the memory is grown. */
  data?: Float32Array;
}

/**
 * Runs `body` with the temporaries of `specs`, released afterwards even on error. Every temporary
 * is planned first and the memory grown once, so a call too large for wasm32 is refused before the
 * memory grows (a refused huge matmul used to leave it grown to 2.7 GB).
 */
function withTemporaries<K extends string, T>(
  t: TypedContext,
  specs: Record<K, Temporary>,
  body: (buffers: Record<K, ArenaBuffer>) => T,
): T {
  t.usable();
  quietWorkers(t.coreId);
  const { arena } = t;
  const mark = arena.mark();
  try {
    const entries = Object.entries(specs) as [K, Temporary][];
    const buffers = Object.fromEntries(entries.map(([name, spec]) => [name, arena.allocate(name, spec.shape, spec.dtype)])) as Record<
      K,
      ArenaBuffer
    >;
    arena.commit();
    for (const [name, spec] of entries) if (spec.data) arena.f32(buffers[name]).set(spec.data);
    return body(buffers);
  } finally {
    arena.release(mark);
  }
}

/** a [m,k] · b [k,n] → [m,n]; see `Core.matmul`. */
export function matmul(
  t: TypedContext,
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  out?: Float32Array,
): Float32Array {
  checkDims({ m, k, n });
  checkArray('a', a, m * k, `[m, k] = [${m}, ${k}]`);
  checkArray('b', b, k * n, `[k, n] = [${k}, ${n}]`);
  checkOut(out, m * n, `[m, n] = [${m}, ${n}]`);
  const temporaries = {
    'matmul/a': { shape: [m, k], data: a },
    'matmul/b': { shape: [k, n], data: b },
    'matmul/c': { shape: [m, n] },
    'matmul/workspace': { shape: [Math.max(16, t.arena.exports.gemm_f32_workspace_bytes())], dtype: 'u8' as const },
  };
  return withTemporaries(t, temporaries, (buffers) => {
    t.kernels.gemm_f32_nn(
      buffers['matmul/c'].byteOffset,
      buffers['matmul/a'].byteOffset,
      buffers['matmul/b'].byteOffset,
      buffers['matmul/workspace'].byteOffset,
      m,
      k,
      n,
      0,
    );
    return result(t, buffers['matmul/c'], out);
  });
}

/** NHWC conv2d, stride 1; see `Core.conv2d`. */
export function conv2d(
  t: TypedContext,
  data: Float32Array,
  filters: Float32Array,
  shape: Conv2dShape,
  bias?: Float32Array,
  out?: Float32Array,
): Float32Array {
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
  checkArray(
    'input',
    data,
    batch * height * width * inChannels,
    `[batch, height, width, inChannels] = [${batch}, ${height}, ${width}, ${inChannels}]`,
  );
  checkArray(
    'filters',
    filters,
    kernelHeight * kernelWidth * inChannels * outChannels,
    `[kernelHeight, kernelWidth, inChannels, outChannels] = [${kernelHeight}, ${kernelWidth}, ${inChannels}, ${outChannels}]`,
  );
  if (bias !== undefined) checkArray('bias', bias, outChannels, `[outChannels] = [${outChannels}]`);
  checkOut(
    out,
    batch * outHeight * outWidth * outChannels,
    `[batch, outHeight, outWidth, outChannels] = [${batch}, ${outHeight}, ${outWidth}, ${outChannels}]`,
  );
  const dims = [batch, height, width, inChannels, kernelHeight, kernelWidth, outChannels, padding] as const;
  const temporaries = {
    'conv2d/input': { shape: [batch, height, width, inChannels], data },
    'conv2d/filters': { shape: [kernelHeight, kernelWidth, inChannels, outChannels], data: filters },
    'conv2d/bias': bias === undefined ? { shape: [1] } : { shape: [outChannels], data: bias },
    'conv2d/output': { shape: [batch, outHeight, outWidth, outChannels] },
    'conv2d/workspace': { shape: [Math.max(16, t.arena.exports.conv2d_f32_workspace_bytes(...dims))], dtype: 'u8' as const },
  };
  return withTemporaries(t, temporaries, (buffers) => {
    t.kernels.conv2d_f32_nhwc_forward(
      buffers['conv2d/output'].byteOffset,
      buffers['conv2d/input'].byteOffset,
      buffers['conv2d/filters'].byteOffset,
      bias === undefined ? 0 : buffers['conv2d/bias'].byteOffset,
      buffers['conv2d/workspace'].byteOffset,
      ...dims,
    );
    return result(t, buffers['conv2d/output'], out);
  });
}

/** NHWC max-pooling; see `Core.maxPool2d`. */
export function maxPool2d(t: TypedContext, data: Float32Array, shape: MaxPool2dShape, out?: Float32Array): Float32Array {
  const { batch, height, width, channels, size = 2, stride = 2 } = shape;
  checkDims({ batch, height, width, channels, size, stride }, 'shape.');
  if (size > height || size > width) {
    throw new RangeError(`shape.size: a ${size}x${size} window does not fit a ${height}x${width} input`);
  }
  checkArray(
    'input',
    data,
    batch * height * width * channels,
    `[batch, height, width, channels] = [${batch}, ${height}, ${width}, ${channels}]`,
  );
  const pooled = [batch, Math.floor((height - size) / stride) + 1, Math.floor((width - size) / stride) + 1, channels];
  checkOut(out, pooled[0]! * pooled[1]! * pooled[2]! * pooled[3]!, `[batch, outHeight, outWidth, channels] = [${pooled.join(', ')}]`);
  const temporaries = {
    'maxPool2d/input': { shape: [batch, height, width, channels], data },
    'maxPool2d/output': { shape: pooled },
    'maxPool2d/argmax': { shape: pooled, dtype: 'i32' as const },
  };
  return withTemporaries(t, temporaries, (buffers) => {
    t.kernels.maxpool2d_f32_nhwc_forward(
      buffers['maxPool2d/output'].byteOffset,
      buffers['maxPool2d/argmax'].byteOffset,
      buffers['maxPool2d/input'].byteOffset,
      batch,
      height,
      width,
      channels,
      size,
      stride,
    );
    return result(t, buffers['maxPool2d/output'], out);
  });
}

/** Row-wise softmax; see `Core.softmax`. */
export function softmax(t: TypedContext, x: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array {
  checkDims({ rows, cols });
  checkArray('x', x, rows * cols, `[rows, cols] = [${rows}, ${cols}]`);
  checkOut(out, rows * cols, `[rows, cols] = [${rows}, ${cols}]`);
  return withTemporaries(t, { 'softmax/x': { shape: [rows, cols], data: x } }, (buffers) => {
    const bx = buffers['softmax/x'];
    t.kernels.softmax_f32_forward(bx.byteOffset, bx.byteOffset, rows, cols);
    return result(t, bx, out);
  });
}

/** The result in `out` when given (checked by checkOut), else in a new Float32Array. */
function result(t: TypedContext, buffer: ArenaBuffer, out: Float32Array | undefined): Float32Array {
  const values = t.arena.f32(buffer);
  if (out === undefined) return values.slice();
  out.set(values);
  return out;
}

/** `out`, when given, must be a Float32Array of exactly the result's size. */
function checkOut(out: unknown, expected: number, shapeText: string): void {
  if (out !== undefined) checkArray('out', out, expected, shapeText);
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
    throw new TypeError(
      `${name}: expected a Float32Array, got ${array === null ? 'null' : typeof array === 'object' ? (array as object).constructor.name : typeof array}`,
    );
  }
  if (array.length !== expected) {
    throw new RangeError(`${name}: shape ${shapeText} needs ${expected} elements, got ${array.length}`);
  }
}
