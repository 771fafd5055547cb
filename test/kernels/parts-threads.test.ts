// The `_part` contract under real concurrency: the shared-memory build instantiated in worker
// threads on the one WebAssembly.Memory of the test, every part of a kernel run at the same time
// on its own thread with its own workspace, must leave the outputs bit-identical to the unsplit
// call. More parts (threads) than the machine's cores on purpose: the OS interleaves them.
// (The exhaustive size sweep, one part after another, is in parts.test.ts.)
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, TestWasm } from '../helpers/wasm.js';
import { randomF32 } from '../helpers/random.js';

const THREADS = 3;

// Each worker instantiates the module on the shared memory, then runs the calls it is sent.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const instance = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } });
parentPort.on('message', ({ fn, args }) => {
  try {
    instance.exports[fn](...args);
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error) });
  }
});
`;

const build = kernelTestBuilds(['release-shared'], ['release-relaxed-shared'])[0];

describe(`${build}: parts on ${THREADS} worker threads at once`, () => {
  let w: TestWasm;
  let workers: Worker[];

  beforeAll(async () => {
    w = await TestWasm.create(build);
    const module = await WebAssembly.compile(await readFile(new URL(`../../build/${build}.wasm`, import.meta.url)));
    workers = Array.from({ length: THREADS }, () => new Worker(WORKER, { eval: true, workerData: { module, memory: w.exports.memory } }));
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.terminate()));
  });

  /** Runs `fn(...args(part))` for every part, one part per worker, all started together. */
  function runParts(fn: string, args: (part: number) => number[]): Promise<void[]> {
    return Promise.all(
      workers.map(
        (worker, part) =>
          new Promise<void>((resolve, reject) => {
            worker.once('message', (reply: { ok: boolean; message?: string }) => (reply.ok ? resolve() : reject(new Error(reply.message))));
            worker.postMessage({ fn, args: args(part) });
          }),
      ),
    );
  }

  const bits = (ptr: number, length: number) => new Uint32Array(w.exports.memory.buffer, ptr, length).slice();

  it("gemm nn, tn and nt at the paper's first dense layer (batch 128)", async () => {
    w.reset();
    const e = w.exports;
    const [m, k, n] = [128, 784, 300];
    const a = w.from(randomF32(Math.max(m, k) * Math.max(k, n), 1)).ptr;
    const b = w.from(randomF32(Math.max(k, n) * Math.max(k, m), 2)).ptr;
    const wsFloats = e.gemm_f32_workspace_bytes() / 4;
    const workspaces = workers.map(() => w.nan(wsFloats).ptr);
    for (const [variant, dims] of [
      ['nn', [m, k, n]],
      ['tn', [k, m, n]],
      ['nt', [m, n, k]],
    ] as const) {
      const [mm, kk, nn] = dims;
      const want = w.nan(mm * nn).ptr;
      const got = w.nan(mm * nn).ptr;
      e[`gemm_f32_${variant}`](want, a, b, workspaces[0], mm, kk, nn, 0);
      await runParts(`gemm_f32_${variant}_part`, (part) => [got, a, b, workspaces[part], mm, kk, nn, 0, part, THREADS]);
      expect(bits(got, mm * nn), variant).toEqual(bits(want, mm * nn));
    }
    w.checkGuards();
  });

  it("conv2d forward, backward data and backward filter, the CNN's layer and a deeper one", async () => {
    const e = w.exports;
    const shapes: (readonly [number, number, number, number, number, number, number, 0 | 1])[] = [
      [64, 28, 28, 1, 3, 3, 32, 0],
      [5, 14, 14, 32, 3, 3, 20, 1],
    ];
    for (const shape of shapes) {
      w.reset();
      const [batch, height, width, inC, kh, kw, outC, padding] = shape;
      const outH = padding ? height : height - kh + 1;
      const outW = padding ? width : width - kw + 1;
      const inLen = batch * height * width * inC;
      const outLen = batch * outH * outW * outC;
      const filterLen = kh * kw * inC * outC;
      const input = w.from(randomF32(inLen, 3)).ptr;
      const filters = w.from(randomF32(filterLen, 4)).ptr;
      const bias = w.from(randomF32(outC, 5)).ptr;
      const dout = w.from(randomF32(outLen, 6)).ptr;
      const wsFloats = Math.ceil(e.conv2d_f32_workspace_bytes(...shape) / 4);
      const workspaces = workers.map(() => w.nan(wsFloats).ptr);
      const pairs = (length: number) => [w.nan(length).ptr, w.nan(length).ptr];

      const [yWant, yGot] = pairs(outLen);
      e.conv2d_f32_nhwc_forward(yWant, input, filters, bias, workspaces[0], ...shape);
      await runParts('conv2d_f32_nhwc_forward_part', (part) => [yGot, input, filters, bias, workspaces[part], ...shape, part, THREADS]);
      expect(bits(yGot, outLen), `forward ${shape}`).toEqual(bits(yWant, outLen));

      const [dxWant, dxGot] = pairs(inLen);
      e.conv2d_f32_nhwc_backward_data(dxWant, dout, filters, workspaces[0], ...shape);
      await runParts('conv2d_f32_nhwc_backward_data_part', (part) => [dxGot, dout, filters, workspaces[part], ...shape, part, THREADS]);
      expect(bits(dxGot, inLen), `backward data ${shape}`).toEqual(bits(dxWant, inLen));

      const [dwWant, dwGot] = pairs(filterLen);
      const [dbWant, dbGot] = pairs(outC);
      e.conv2d_f32_nhwc_backward_filter(dwWant, dbWant, input, dout, workspaces[0], ...shape, 0);
      await runParts('conv2d_f32_nhwc_backward_filter_part', (part) => [
        dwGot,
        dbGot,
        input,
        dout,
        workspaces[part],
        ...shape,
        0,
        part,
        THREADS,
      ]);
      expect(bits(dwGot, filterLen), `backward filter ${shape}`).toEqual(bits(dwWant, filterLen));
      expect(bits(dbGot, outC), `dbias ${shape}`).toEqual(bits(dbWant, outC));
      w.checkGuards();
    }
  });

  it('maxpool2d forward and backward', async () => {
    w.reset();
    const e = w.exports;
    const shape = [7, 26, 26, 32, 2, 2] as const;
    const inLen = 7 * 26 * 26 * 32;
    const outLen = 7 * 13 * 13 * 32;
    const input = w.from(randomF32(inLen, 7)).ptr;
    const dout = w.from(randomF32(outLen, 8)).ptr;
    const [yWant, yGot, argWant, argGot] = [w.nan(outLen).ptr, w.nan(outLen).ptr, w.nan(outLen).ptr, w.nan(outLen).ptr];
    e.maxpool2d_f32_nhwc_forward(yWant, argWant, input, ...shape);
    await runParts('maxpool2d_f32_nhwc_forward_part', (part) => [yGot, argGot, input, ...shape, part, THREADS]);
    expect(bits(yGot, outLen)).toEqual(bits(yWant, outLen));
    expect(bits(argGot, outLen)).toEqual(bits(argWant, outLen));
    const [dxWant, dxGot] = [w.nan(inLen).ptr, w.nan(inLen).ptr];
    e.maxpool2d_f32_nhwc_backward(dxWant, dout, argWant, ...shape);
    await runParts('maxpool2d_f32_nhwc_backward_part', (part) => [dxGot, dout, argWant, ...shape, part, THREADS]);
    expect(bits(dxGot, inLen)).toEqual(bits(dxWant, inLen));
    w.checkGuards();
  });
});
