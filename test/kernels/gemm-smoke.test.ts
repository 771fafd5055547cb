import { describe, expect, it } from 'vitest';
import { TestWasm } from '../helpers/wasm.js';

describe('harness', () => {
  it('runs gemm_f32_nn on 2x2', async () => {
    const w = await TestWasm.create();
    const a = w.from(new Float32Array([1, 2, 3, 4]));
    const b = w.from(new Float32Array([5, 6, 7, 8]));
    const c = w.nan(4);
    w.exports.gemm_f32_nn(c.ptr, a.ptr, b.ptr, 0, 2, 2, 2, 0);
    expect(Array.from(c.f32())).toEqual([19, 22, 43, 50]);
    w.checkGuards();
  });
});
