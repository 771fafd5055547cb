// The release builds of asconfig.json are one ABI: the same exports, and the shared-memory build
// (what the thread pool instantiates on one shared WebAssembly.Memory) runs exactly the code of
// build/release.wasm (every function body of its .wat is identical) and gives bit-identical outputs.
// The strict builds hold no relaxed-SIMD instruction. In the vitest project "relaxed-simd" the same
// bit-identity is checked between release-relaxed and release-relaxed-shared; the relaxed builds'
// accuracy is checked by gemm.test.ts, conv2d.test.ts and parts.test.ts in that project.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelTestBuilds, TestWasm, type Build } from '../helpers/wasm.js';
import { randomF32 } from '../helpers/random.js';

const RELEASE_BUILDS = ['release', 'release-shared', 'release-relaxed', 'release-relaxed-shared'] as const;

function wat(build: Build): string {
  return readFileSync(new URL(`../../build/${build}.wat`, import.meta.url), 'utf8');
}

function exportNames(text: string): string[] {
  return [...text.matchAll(/^ \(export "([^"]+)"/gm)].map((m) => m[1]).sort();
}

/** Function name → body text, from a .wat. */
function functionBodies(text: string): Map<string, string> {
  const bodies = new Map<string, string>();
  const starts = [...text.matchAll(/^ \(func \$(\S+)/gm)];
  starts.forEach((m, i) => {
    const end = i + 1 < starts.length ? starts[i + 1].index : text.length;
    bodies.set(m[1], text.slice(m.index, end).replace(/\n \((export|elem|data|table)[\s\S]*$/, ''));
  });
  return bodies;
}

const [OWN_MEMORY, SHARED_MEMORY] = kernelTestBuilds(['release', 'release-shared']);
const relaxedProject = OWN_MEMORY === 'release-relaxed';

describe.runIf(!relaxedProject)('the release builds', () => {
  it('all export the same functions', () => {
    const names = exportNames(wat('release'));
    expect(names).toContain('gemm_f32_nn_part');
    for (const build of RELEASE_BUILDS) expect(exportNames(wat(build)), build).toEqual(names);
  });

  it('release-shared imports a shared env.memory and has the same function bodies as release', () => {
    const shared = wat('release-shared');
    expect(shared).toMatch(/\(import "env" "memory" \(memory \$0 \d+ 65536 shared\)\)/);
    const want = functionBodies(wat('release'));
    const got = functionBodies(shared);
    expect([...got.keys()]).toEqual([...want.keys()]);
    const differing = [...want.keys()].filter((name) => got.get(name) !== want.get(name));
    expect(differing).toEqual([]);
  });

  it('release-relaxed-shared has the same function bodies as release-relaxed', () => {
    const want = functionBodies(wat('release-relaxed'));
    const got = functionBodies(wat('release-relaxed-shared'));
    expect([...want.keys()].filter((name) => got.get(name) !== want.get(name))).toEqual([]);
  });

  it('only the relaxed builds contain relaxed-SIMD instructions, and they use relaxed_madd', () => {
    expect(wat('release')).not.toMatch(/relaxed/);
    expect(wat('release-shared')).not.toMatch(/relaxed/);
    // Binaryen prints f32x4.relaxed_madd as f32x4.relaxed_fma.
    expect(wat('release-relaxed')).toMatch(/f32x4\.relaxed_(madd|fma)/);
  });
});

describe(`${SHARED_MEMORY} on a shared WebAssembly.Memory`, () => {
  let strict: TestWasm;
  let shared: TestWasm;
  beforeAll(async () => {
    strict = await TestWasm.create(OWN_MEMORY);
    shared = await TestWasm.create(SHARED_MEMORY);
  });

  it('runs on a SharedArrayBuffer', () => {
    expect(shared.exports.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  /** Runs the same calls on both instances and returns each instance's outputs as bits. */
  function both(run: (w: TestWasm) => number[][]): [Uint32Array[], Uint32Array[]] {
    const out = (w: TestWasm) => {
      w.reset();
      const views = run(w).map(([ptr, length]) => new Uint32Array(w.exports.memory.buffer, ptr, length).slice());
      w.checkGuards();
      return views;
    };
    return [out(strict), out(shared)];
  }

  it('gemm (nn, tn, nt, whole and in parts) gives the same bits as the build with its own memory', () => {
    const [m, k, n] = [37, 300, 75];
    const [want, got] = both((w) => {
      const a = w.from(randomF32(m * k, 1)).ptr;
      const b = w.from(randomF32(k * n, 2)).ptr;
      const ws = w.nan(w.exports.gemm_f32_workspace_bytes() / 4).ptr;
      const outs = [0, 1, 2, 3].map(() => w.nan(m * n).ptr);
      w.exports.gemm_f32_nn(outs[0], a, b, ws, m, k, n, 0);
      w.exports.gemm_f32_tn(outs[1], a, b, ws, m, k, n, 0);
      w.exports.gemm_f32_nt(outs[2], a, b, ws, m, k, n, 0);
      for (let p = 0; p < 3; p++) w.exports.gemm_f32_nn_part(outs[3], a, b, ws, m, k, n, 0, p, 3);
      return outs.map((ptr) => [ptr, m * n]);
    });
    expect(got).toEqual(want);
  });

  it('conv2d forward, backward data and filter, and maxpool give the same bits as the build with its own memory', () => {
    const [batch, height, width, inC, kh, kw, outC, padding] = [3, 9, 8, 5, 3, 3, 11, 1];
    const outLen = batch * height * width * outC;
    const inLen = batch * height * width * inC;
    const filterLen = kh * kw * inC * outC;
    const [want, got] = both((w) => {
      const e = w.exports;
      const input = w.from(randomF32(inLen, 3)).ptr;
      const filters = w.from(randomF32(filterLen, 4)).ptr;
      const bias = w.from(randomF32(outC, 5)).ptr;
      const dout = w.from(randomF32(outLen, 6)).ptr;
      const ws = w.nan(e.conv2d_f32_workspace_bytes(batch, height, width, inC, kh, kw, outC, padding) / 4).ptr;
      const output = w.nan(outLen).ptr;
      const dinput = w.nan(inLen).ptr;
      const dfilters = w.nan(filterLen).ptr;
      const dbias = w.nan(outC).ptr;
      e.conv2d_f32_nhwc_forward(output, input, filters, bias, ws, batch, height, width, inC, kh, kw, outC, padding);
      e.conv2d_f32_nhwc_backward_data(dinput, dout, filters, ws, batch, height, width, inC, kh, kw, outC, padding);
      e.conv2d_f32_nhwc_backward_filter(dfilters, dbias, input, dout, ws, batch, height, width, inC, kh, kw, outC, padding, 0);
      const pooled = batch * 4 * 4 * outC;
      const pool = w.nan(pooled).ptr;
      const argmax = w.nan(pooled).ptr;
      const dpool = w.nan(outLen).ptr;
      e.maxpool2d_f32_nhwc_forward(pool, argmax, output, batch, height, width, outC, 2, 2);
      e.maxpool2d_f32_nhwc_backward(dpool, pool, argmax, batch, height, width, outC, 2, 2);
      return [
        [output, outLen],
        [dinput, inLen],
        [dfilters, filterLen],
        [dbias, outC],
        [pool, pooled],
        [argmax, pooled],
        [dpool, outLen],
      ];
    });
    expect(got).toEqual(want);
  });
});
