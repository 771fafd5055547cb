import { gemm_f32_nn } from '../../assembly/gemm';

describe('gemm_f32_nn', () => {
  it('multiplies a 2x2 by a 2x2', () => {
    const a = memory.data<f32>([1, 2, 3, 4]);
    const b = memory.data<f32>([5, 6, 7, 8]);
    const c = memory.data(16, 16);
    gemm_f32_nn(c, a, b, 0, 2, 2, 2, 0);
    expect(load<f32>(c, 0)).toBe(19);
    expect(load<f32>(c, 12)).toBe(50);
  });
});
