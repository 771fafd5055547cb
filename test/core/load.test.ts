import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hasWasmSimd, loadCore, UnsupportedRuntimeError } from '../../src/index.js';

describe('loadCore', () => {
  afterEach(() => vi.restoreAllMocks());

  it('finds the release wasm beside the package in Node and reports SIMD', async () => {
    expect(hasWasmSimd()).toBe(true);
    const core = await loadCore();
    expect(typeof core.exports.gemm_f32_nn).toBe('function');
    expect(core.exports.memory).toBeInstanceOf(WebAssembly.Memory);
  });

  it('accepts the module bytes or a URL', async () => {
    const url = new URL('../../build/release.wasm', import.meta.url);
    const fromBytes = await loadCore({ wasm: readFileSync(url) });
    const fromUrl = await loadCore({ url });
    expect(fromBytes.exports.heap_base()).toBe(fromUrl.exports.heap_base());
  });

  it('names the file it could not read', async () => {
    await expect(loadCore({ url: new URL('file:///nonexistent/fmnist.wasm') })).rejects.toThrow(/\/nonexistent\/fmnist\.wasm/);
  });

  it('fails with a clear message when the runtime lacks SIMD', async () => {
    vi.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    expect(hasWasmSimd()).toBe(false);
    await expect(loadCore()).rejects.toThrow(UnsupportedRuntimeError);
    await expect(loadCore()).rejects.toThrow(/needs WebAssembly SIMD/);
  });
});
