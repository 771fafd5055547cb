// Every kernel core.kernels spreads over threads gives the bits of the one-thread, own-memory
// release build, with 1, 2, 3 and 4 threads (4 is more than the CI machines' cores) at awkward
// sizes, once with the calling thread claiming parts and once with the workers running them all. The split thresholds are lowered to 1 so every size splits; each case also checks that a
// split really happened, so a kernel that silently stayed on one thread cannot pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreExports } from '../../src/core/abi.js';
import { loadCore, type Core } from '../../src/core/index.js';
import { workerPool } from '../../src/core/pool.js';
import { splitPolicy, WORKER_KERNELS } from '../../src/core/threads.js';
import { TestWasm } from '../helpers/wasm.js';
import { rng } from '../helpers/random.js';

const THREADS = [1, 2, 3, 4];
const saved = { ...splitPolicy };

/** One input of a case: f32 values, i32 values or u8 bytes. */
type Input = Float32Array | Int32Array | Uint8Array;

interface Case {
  name: string;
  kernel: keyof CoreExports;
  /** Buffers: inputs with data, outputs (f32 prefilled with NaN, or their initial data when accumulated into). */
  inputs: Record<string, Input>;
  outputs: Record<string, Float32Array>;
  /** Workspace bytes (0: none). */
  workspace: number;
  /** The call's args; buffer names become their addresses, 'workspace' the workspace's. */
  args: (string | number)[];
  /** False when the size is too small to split (one range of 16 elements, or one row). */
  splits?: boolean;
}

function f32(length: number, next: () => number, scale = 2): Float32Array {
  return Float32Array.from({ length }, () => (next() - 0.5) * scale);
}

function cases(reference: CoreExports): Case[] {
  const next = rng(7);
  const list: Case[] = [];
  const gemmWorkspace = reference.gemm_f32_workspace_bytes();
  for (const [m, k, n] of [
    [1, 1, 1],
    [5, 17, 33],
    [31, 63, 129],
    [64, 300, 17],
    [17, 33, 300],
  ] as const) {
    for (const kernel of ['gemm_f32_nn', 'gemm_f32_tn', 'gemm_f32_nt'] as const) {
      for (const accumulate of [0, 1]) {
        list.push({
          name: `${kernel} m=${m} k=${k} n=${n} accumulate=${accumulate}`,
          kernel,
          workspace: gemmWorkspace,
          inputs: { a: f32(m * k, next), b: f32(k * n, next) },
          outputs: { c: accumulate ? f32(m * n, next) : new Float32Array(m * n).fill(Number.NaN) },
          args: ['c', 'a', 'b', 'workspace', m, k, n, accumulate],
        });
      }
    }
    list.push({
      name: `gemm_f32_tn_sgd m=${m} k=${k} n=${n}`,
      kernel: 'gemm_f32_tn_sgd',
      workspace: gemmWorkspace,
      inputs: { a: f32(k * m, next), b: f32(k * n, next) },
      outputs: { w: f32(m * n, next) },
      args: ['w', 'a', 'b', 'workspace', m, k, n, 0.05],
    });
    for (const [activation, bias] of [
      [1, true],
      [2, false],
    ] as const) {
      list.push({
        name: `dense_f32_forward m=${m} k=${k} n=${n} activation=${activation} bias=${bias}`,
        kernel: 'dense_f32_forward',
        workspace: gemmWorkspace,
        inputs: { x: f32(m * k, next), w: f32(k * n, next), bias: f32(n, next) },
        outputs: { y: new Float32Array(m * n).fill(Number.NaN) },
        args: ['y', 'x', 'w', bias ? 'bias' : 0, 'workspace', m, k, n, activation],
      });
    }
  }
  for (const count of [1, 15, 17, 63, 1000, 4099]) {
    const x = f32(count, next, 12);
    const y = Float32Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
    const nan = () => new Float32Array(count).fill(Number.NaN);
    const splits = count > 16;
    list.push({
      name: `sigmoid_f32_forward ${count}`,
      kernel: 'sigmoid_f32_forward',
      splits,
      workspace: 0,
      inputs: { x },
      outputs: { y: nan() },
      args: ['y', 'x', count],
    });
    list.push({
      name: `sigmoid_f32_backward ${count}`,
      kernel: 'sigmoid_f32_backward',
      splits,
      workspace: 0,
      inputs: { dy: f32(count, next), y },
      outputs: { dx: nan() },
      args: ['dx', 'dy', 'y', count],
    });
    list.push({
      name: `relu_f32_forward ${count}`,
      kernel: 'relu_f32_forward',
      splits,
      workspace: 0,
      inputs: { x },
      outputs: { y: nan() },
      args: ['y', 'x', count],
    });
    list.push({
      name: `relu_f32_backward ${count}`,
      kernel: 'relu_f32_backward',
      splits,
      workspace: 0,
      inputs: { dy: f32(count, next), y: x },
      outputs: { dx: nan() },
      args: ['dx', 'dy', 'y', count],
    });
    list.push({
      name: `sgd_f32_step ${count}`,
      kernel: 'sgd_f32_step',
      splits,
      workspace: 0,
      inputs: { g: f32(count, next) },
      outputs: { p: f32(count, next) },
      args: ['p', 'g', count, 0.1],
    });
    list.push({
      name: `momentum_f32_step ${count}`,
      kernel: 'momentum_f32_step',
      splits,
      workspace: 0,
      inputs: { g: f32(count, next) },
      outputs: { p: f32(count, next), v: f32(count, next, 0.1) },
      args: ['p', 'v', 'g', count, 0.1, 0.9],
    });
    list.push({
      name: `adam_f32_step ${count}`,
      kernel: 'adam_f32_step',
      splits,
      workspace: 0,
      inputs: { g: f32(count, next) },
      outputs: { p: f32(count, next), m: f32(count, next, 0.1), v: f32(count, next, 0.1).map(Math.abs) },
      args: ['p', 'm', 'v', 'g', count, 0.001, 0.9, 0.999, 1e-7, 3],
    });
  }
  for (const [rows, cols] of [
    [1, 1],
    [7, 33],
    [65, 10],
    [3, 300],
  ] as const) {
    list.push({
      name: `bias_add_f32_forward ${rows}x${cols}`,
      kernel: 'bias_add_f32_forward',
      splits: rows > 1,
      workspace: 0,
      inputs: { x: f32(rows * cols, next), bias: f32(cols, next) },
      outputs: { y: new Float32Array(rows * cols).fill(Number.NaN) },
      args: ['y', 'x', 'bias', rows, cols],
    });
  }
  /** A batch gather case: 100 random u8 images and labels, `batch` random indices; `shape` follows the indices in the args. */
  const gather = (
    kernel: 'gather_batch_u8_f32' | 'gather_batch_augment_u8_f32',
    name: string,
    batch: number,
    pixels: number,
    withTargets: boolean,
    shape: number[],
  ): Case => {
    const images = Uint8Array.from({ length: 100 * pixels }, () => Math.floor(next() * 256));
    const labels = Uint8Array.from({ length: 100 }, () => Math.floor(next() * 10));
    const indices = Int32Array.from({ length: batch }, () => Math.floor(next() * 100));
    return {
      name: `${kernel} ${name}${withTargets ? '' : ' without targets'}`,
      kernel,
      splits: batch > 1,
      workspace: 0,
      inputs: { images, labels, indices },
      outputs: {
        inputs: new Float32Array(batch * pixels).fill(Number.NaN),
        ...(withTargets ? { targets: new Float32Array(batch * 10).fill(Number.NaN) } : {}),
      },
      args: ['inputs', withTargets ? 'targets' : 0, 'images', 'labels', 'indices', batch, ...shape],
    };
  };
  for (const [batch, pixels, withTargets] of [
    [1, 784, true],
    [13, 784, true],
    [29, 17, false],
    [64, 784, false],
  ] as const) {
    list.push(gather('gather_batch_u8_f32', `${batch}x${pixels}`, batch, pixels, withTargets, [pixels, 10]));
  }
  for (const [batch, height, width, maxShift, flip, withTargets] of [
    [1, 28, 28, 2, 1, true],
    [13, 28, 28, 1, 1, true],
    [29, 5, 7, 3, 0, false],
    [64, 28, 28, 1, 1, false],
  ] as const) {
    const name = `${batch}x${height}x${width} shift ${maxShift} flip ${flip}`;
    list.push(
      gather('gather_batch_augment_u8_f32', name, batch, height * width, withTargets, [height, width, 10, maxShift, flip, 0x9e3779b9]),
    );
  }
  for (const [batch, size, cin, kernelSize, cout, padding] of [
    [1, 5, 1, 3, 1, 0],
    [3, 9, 2, 3, 17, 1],
    [5, 14, 32, 3, 64, 1],
    [7, 13, 3, 2, 5, 0],
  ] as const) {
    const out = padding === 1 ? size : size - kernelSize + 1;
    const shape = [batch, size, size, cin, kernelSize, kernelSize, cout, padding];
    const workspace = reference.conv2d_f32_workspace_bytes(batch, size, size, cin, kernelSize, kernelSize, cout, padding);
    const input = f32(batch * size * size * cin, next);
    const filters = f32(kernelSize * kernelSize * cin * cout, next);
    const doutput = f32(batch * out * out * cout, next);
    const tag = `${batch}x${size}x${size}x${cin} ${kernelSize}x${kernelSize}->${cout} ${padding ? 'same' : 'valid'}`;
    list.push({
      name: `conv2d_f32_nhwc_forward ${tag}`,
      kernel: 'conv2d_f32_nhwc_forward',
      workspace,
      inputs: { input, filters, bias: f32(cout, next) },
      outputs: { output: new Float32Array(batch * out * out * cout).fill(Number.NaN) },
      args: ['output', 'input', 'filters', 'bias', 'workspace', ...shape],
    });
    list.push({
      name: `conv2d_f32_nhwc_backward_data ${tag}`,
      kernel: 'conv2d_f32_nhwc_backward_data',
      workspace,
      inputs: { doutput, filters },
      outputs: { dinput: new Float32Array(input.length).fill(Number.NaN) },
      args: ['dinput', 'doutput', 'filters', 'workspace', ...shape],
    });
    list.push({
      name: `conv2d_f32_nhwc_backward_filter ${tag}`,
      kernel: 'conv2d_f32_nhwc_backward_filter',
      workspace,
      inputs: { input, doutput },
      outputs: { dfilters: f32(filters.length, next), dbias: f32(cout, next) },
      args: ['dfilters', 'dbias', 'input', 'doutput', 'workspace', ...shape, 1],
    });
  }
  for (const [batch, size, channels] of [
    [1, 2, 1],
    [3, 7, 5],
    [9, 26, 32],
  ] as const) {
    const out = Math.floor((size - 2) / 2) + 1;
    const input = f32(batch * size * size * channels, next);
    const argmax = new Int32Array(batch * out * out * channels);
    // The argmax of the reference forward, computed on the reference build below (maxpoolArgmax).
    list.push({
      name: `maxpool2d_f32_nhwc_forward ${batch}x${size}x${size}x${channels}`,
      kernel: 'maxpool2d_f32_nhwc_forward',
      workspace: 0,
      inputs: { input },
      outputs: { output: new Float32Array(argmax.length).fill(Number.NaN) },
      args: ['output', 'argmax', 'input', batch, size, size, channels, 2, 2],
    });
    list.push({
      name: `maxpool2d_f32_nhwc_backward ${batch}x${size}x${size}x${channels}`,
      kernel: 'maxpool2d_f32_nhwc_backward',
      workspace: 0,
      inputs: { doutput: f32(argmax.length, next), argmax: maxpoolArgmax(reference, input, batch, size, channels) },
      outputs: { dinput: new Float32Array(input.length).fill(Number.NaN) },
      args: ['dinput', 'doutput', 'argmax', batch, size, size, channels, 2, 2],
    });
  }
  for (const [rows, cols] of [
    [3, 5],
    [50, 37],
    [200, 32],
  ] as const) {
    const tag = `${rows}x${cols}`;
    const x = f32(rows * cols, next);
    const gamma = f32(cols, next);
    const beta = f32(cols, next);
    const movingVar = f32(cols, next).map((v) => 0.5 + Math.abs(v));
    const workspace = reference.batchnorm_f32_workspace_bytes(cols);
    const nan = (length: number) => new Float32Array(length).fill(Number.NaN);
    list.push({
      name: `batchnorm_f32_forward_train ${tag}`,
      kernel: 'batchnorm_f32_forward_train',
      workspace,
      inputs: { x, gamma, beta },
      outputs: { y: nan(rows * cols), mean: nan(cols), invstd: nan(cols), movingMean: f32(cols, next), movingVar },
      args: ['y', 'mean', 'invstd', 'movingMean', 'movingVar', 'x', 'gamma', 'beta', 'workspace', rows, cols, 0.99, 1e-3],
    });
    list.push({
      name: `batchnorm_f32_forward_inference ${tag}`,
      kernel: 'batchnorm_f32_forward_inference',
      workspace,
      inputs: { x, gamma, beta, movingMean: f32(cols, next), movingVar },
      outputs: { y: nan(rows * cols) },
      args: ['y', 'x', 'movingMean', 'movingVar', 'gamma', 'beta', 'workspace', rows, cols, 1e-3],
    });
    list.push({
      name: `batchnorm_f32_backward ${tag}`,
      kernel: 'batchnorm_f32_backward',
      workspace: 0,
      inputs: { dy: f32(rows * cols, next), x, mean: f32(cols, next), invstd: movingVar, gamma },
      outputs: { dx: nan(rows * cols), dgamma: nan(cols), dbeta: nan(cols) },
      args: ['dx', 'dgamma', 'dbeta', 'dy', 'x', 'mean', 'invstd', 'gamma', rows, cols],
    });
  }
  return list;
}

/** The forward's argmax for `input`, as the backward's input. */
function maxpoolArgmax(reference: CoreExports, input: Float32Array, batch: number, size: number, channels: number): Int32Array {
  const out = Math.floor((size - 2) / 2) + 1;
  const length = batch * out * out * channels;
  const base = (reference.heap_base() + 15) & ~15;
  const need = base + 4 * (input.length + 2 * length) - reference.memory.buffer.byteLength;
  if (need > 0) reference.memory.grow(Math.ceil(need / 65536));
  new Float32Array(reference.memory.buffer, base, input.length).set(input);
  const output = base + 4 * input.length;
  const argmax = output + 4 * length;
  reference.maxpool2d_f32_nhwc_forward(output, argmax, base, batch, size, size, channels, 2, 2);
  return new Int32Array(reference.memory.buffer, argmax, length).slice();
}

/** Runs `c` on `kernels` with buffers planned in `place` (a bump allocator over its memory); returns the outputs. */
function run(
  c: Case,
  kernels: CoreExports,
  memory: () => ArrayBuffer | SharedArrayBuffer,
  alloc: (bytes: number) => number,
): Record<string, Float32Array> {
  const addresses: Record<string, number> = {};
  const all: Record<string, Input> = { ...c.inputs, ...c.outputs };
  if (c.kernel === 'maxpool2d_f32_nhwc_forward') all.argmax = new Int32Array(c.outputs.output!.length).fill(-1);
  for (const [name, data] of Object.entries(all)) addresses[name] = alloc(data.byteLength);
  addresses.workspace = alloc(Math.max(16, c.workspace));
  for (const [name, data] of Object.entries(all)) {
    const view =
      data instanceof Float32Array
        ? new Float32Array(memory(), addresses[name], data.length)
        : data instanceof Int32Array
          ? new Int32Array(memory(), addresses[name], data.length)
          : new Uint8Array(memory(), addresses[name], data.length);
    view.set(data as never);
  }
  const args = c.args.map((arg) => (typeof arg === 'string' ? addresses[arg]! : arg));
  (kernels[c.kernel] as unknown as (...a: number[]) => void)(...args);
  const results: Record<string, Float32Array> = {};
  for (const name of Object.keys(c.outputs)) results[name] = new Float32Array(memory(), addresses[name], c.outputs[name]!.length).slice();
  if (all.argmax && c.kernel === 'maxpool2d_f32_nhwc_forward')
    results.argmax = new Float32Array(new Int32Array(memory(), addresses.argmax, all.argmax.length).slice().buffer);
  return results;
}

/** Index of the first element whose bits differ, or -1. */
function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe('core.kernels on threads', () => {
  let reference: TestWasm;
  let all: Case[];
  const cores = new Map<number, Core>();

  beforeAll(async () => {
    splitPolicy.minPartFlops = 1;
    splitPolicy.minPartElements = 1;
    reference = await TestWasm.create('release');
    all = cases(reference.exports);
    for (const threads of THREADS) cores.set(threads, await loadCore({ threads, simd: 'strict' }));
  });

  afterAll(() => {
    Object.assign(splitPolicy, saved);
    workerPool().callerClaims = true;
    for (const core of cores.values()) core.dispose();
  });

  it.each(
    THREADS.flatMap((threads) =>
      threads === 1
        ? [[threads, true]]
        : [
            [threads, true],
            [threads, false],
          ],
    ) as [number, boolean][],
  )('gives the bits of the one-thread release build with %i thread(s) (the caller claims parts: %s)', (threads, callerClaims) => {
    const core = cores.get(threads)!;
    // Parts go to whoever claims them first; without the caller, the workers run every part
    // (their own workspaces, their part args), which a fast caller would otherwise often take.
    workerPool().callerClaims = callerClaims;
    expect(core.threads).toBe(threads);
    const pool = workerPool();
    let checked = 0;
    for (const c of all) {
      reference.reset();
      const expected = run(
        c,
        reference.exports,
        () => reference.exports.memory.buffer,
        (bytes) => reference.alloc(Math.ceil(bytes / 4)).ptr,
      );
      const mark = core.arena.mark();
      const before = pool.dispatches;
      const got = run(
        c,
        core.kernels,
        () => core.arena.memory.buffer,
        (bytes) => core.arena.allocateCommitted(c.name, [Math.max(16, bytes)], 'u8').byteOffset,
      );
      core.arena.release(mark);
      // A kernel split into ranges here, or with a _part form in the build, must really run on the threads.
      const spread = WORKER_KERNELS.includes(c.kernel) || `${c.kernel}_part` in core.exports;
      expect(pool.dispatches > before, `${c.name}: split with ${threads} threads`).toBe(threads > 1 && spread && c.splits !== false);
      for (const name of Object.keys(expected)) {
        const at = firstBitDifference(got[name]!, expected[name]!);
        expect(at, `${c.name}, ${name}[${at}] with ${threads} threads: got ${got[name]![at]}, expected ${expected[name]![at]}`).toBe(-1);
      }
      checked++;
    }
    expect(checked).toBe(all.length);
  });
});
