// Test harness: a fresh instance of one build (the debug build, assertions on, by default) with a
// bump allocator that puts guard words after every buffer and prefills outputs with NaN, so a
// kernel that writes past its output or forgets an element is caught.
import { readFile } from 'node:fs/promises';
import type { CoreExports } from '../../src/core/abi.js';
import { instantiateCore } from '../../src/core/load.js';

/** The wasm builds of asconfig.json. The relaxed ones need relaxed SIMD in the runtime. */
export type Build = 'debug' | 'release' | 'release-shared' | 'release-relaxed' | 'release-relaxed-shared';

/**
 * The builds a kernel test file runs on: `usual` (its debug and/or release build), or, in the
 * vitest project "relaxed-simd" (vitest.config.ts sets FMNIST_TEST_RELAXED), the relaxed builds.
 */
export function kernelTestBuilds(
  usual: readonly Build[],
  relaxed: readonly Build[] = ['release-relaxed', 'release-relaxed-shared'],
): readonly Build[] {
  return RELAXED_PROJECT ? relaxed : usual;
}

/** True in the vitest project "relaxed-simd", whose kernel tests run on the relaxed builds. */
export const RELAXED_PROJECT = process.env.FMNIST_TEST_RELAXED === '1';

/** Pages of the shared memory the tests give the shared builds (they declare up to 65536). */
export const SHARED_MAXIMUM_PAGES = 16384;

const GUARD = 0x7fc0dead; // a NaN payload no kernel produces
const GUARD_WORDS = 4;

export interface TestBuffer {
  ptr: number;
  length: number;
  f32(): Float32Array;
  i32(): Int32Array;
  u8(): Uint8Array;
}

export class TestWasm {
  private top = 0;
  private readonly buffers: { ptr: number; bytes: number }[] = [];

  private constructor(readonly exports: CoreExports) {
    this.top = align16(exports.heap_base());
  }

  static async create(build: Build = 'debug'): Promise<TestWasm> {
    if (build === 'debug' || build === 'release') return new TestWasm(await instantiateCore({ debug: build === 'debug' }));
    return new TestWasm(await instantiateBuild(build));
  }

  /** Allocates `length` elements of 4 bytes (or bytes for u8), followed by guard words. */
  alloc(length: number, elementBytes: 1 | 4 = 4): TestBuffer {
    const bytes = length * elementBytes;
    const ptr = this.top;
    const end = align16(ptr + bytes + GUARD_WORDS * 4);
    const need = end - this.exports.memory.buffer.byteLength;
    if (need > 0) this.exports.memory.grow(Math.ceil(need / 65536));
    this.top = end;
    this.buffers.push({ ptr, bytes });
    const guards = new Int32Array(this.exports.memory.buffer, align4(ptr + bytes), GUARD_WORDS);
    guards.fill(GUARD);
    const mem = () => this.exports.memory.buffer;
    return {
      ptr,
      length,
      f32: () => new Float32Array(mem(), ptr, length),
      i32: () => new Int32Array(mem(), ptr, length),
      u8: () => new Uint8Array(mem(), ptr, length),
    };
  }

  /** A buffer holding a copy of `data`. */
  from(data: Float32Array | Int32Array | Uint8Array): TestBuffer {
    const buf = this.alloc(data.length, data instanceof Uint8Array ? 1 : 4);
    if (data instanceof Float32Array) buf.f32().set(data);
    else if (data instanceof Int32Array) buf.i32().set(data);
    else buf.u8().set(data);
    return buf;
  }

  /** An output buffer prefilled with NaN. */
  nan(length: number): TestBuffer {
    const buf = this.alloc(length);
    buf.f32().fill(Number.NaN);
    return buf;
  }

  /** Throws if any guard word after any buffer was overwritten. */
  checkGuards(): void {
    for (const { ptr, bytes } of this.buffers) {
      const guards = new Int32Array(this.exports.memory.buffer, align4(ptr + bytes), GUARD_WORDS);
      for (let i = 0; i < GUARD_WORDS; i++) {
        if (guards[i] !== GUARD) throw new Error(`guard word ${i} after buffer at ${ptr} (${bytes} bytes) was overwritten`);
      }
    }
  }

  /** Frees everything allocated so far. */
  reset(): void {
    this.top = align16(this.exports.heap_base());
    this.buffers.length = 0;
  }
}

/**
 * Instantiates build/<build>.wasm directly: the shared builds import `env.memory`, given here as a
 * new shared memory (initial 16 pages, as asconfig.json declares).
 */
async function instantiateBuild(build: Build): Promise<CoreExports> {
  const bytes = await readFile(new URL(`../../build/${build}.wasm`, import.meta.url));
  const shared = build.endsWith('-shared');
  const env: WebAssembly.ModuleImports = shared
    ? { memory: new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAXIMUM_PAGES, shared: true }) }
    : {};
  const { instance } = await WebAssembly.instantiate(bytes, { env });
  return instance.exports as unknown as CoreExports;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}
function align4(n: number): number {
  return (n + 3) & ~3;
}
