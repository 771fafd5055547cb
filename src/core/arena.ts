/**
 * The arena: one wasm linear memory, planned as named (byteOffset, shape) buffers.
 * Plan → commit → run: `allocate` only reserves address space, `commit` grows the memory once
 * to cover the plan, and kernels then run on fixed addresses with nothing allocated per step.
 * Views are derived on demand (`f32(buffer)`) because growth detaches every earlier view.
 */
import type { CoreExports } from './abi.js';

export type DType = 'f32' | 'i32' | 'u8';

const BYTES: Record<DType, number> = { f32: 4, i32: 4, u8: 1 };
const ALIGN = 16; // v128 loads are fastest aligned, and every buffer may be handed to a SIMD kernel
const PAGE = 65536;

export interface ArenaBuffer {
  /** `layer/weight`, e.g. `dense_1/kernel`. */
  readonly name: string;
  readonly byteOffset: number;
  readonly shape: readonly number[];
  /** Element count (product of the shape). */
  readonly length: number;
  readonly dtype: DType;
}

export class Arena {
  private top: number;
  private base: number;
  private readonly planned: ArenaBuffer[] = [];
  private readonly reservedBuffers: ArenaBuffer[] = [];

  constructor(readonly exports: CoreExports) {
    this.base = alignUp(exports.heap_base(), ALIGN);
    this.top = this.base;
  }

  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** Bytes planned so far, from the arena's base. */
  get plannedBytes(): number {
    return this.top - this.base;
  }

  /** The core's own buffers below the plan (the worker threads' workspaces), never released. */
  get reserved(): readonly ArenaBuffer[] {
    return this.reservedBuffers;
  }

  /**
   * Plans and commits a buffer for the core itself, below everything `allocate` will plan: the
   * arena's base moves past it, so `release` never frees it and plans start after it.
   * @throws Error when buffers are already planned (a reservation must come first).
   */
  reserve(name: string, shape: readonly number[], dtype: DType = 'f32'): ArenaBuffer {
    if (this.planned.length > 0) throw new Error(`internal: ${name} must be reserved before any buffer is planned`);
    const buffer = this.allocateCommitted(name, shape, dtype);
    this.planned.pop();
    this.reservedBuffers.push(buffer);
    this.base = this.top;
    return buffer;
  }

  /** Every buffer planned and not released, in address order. */
  get buffers(): readonly ArenaBuffer[] {
    return this.planned;
  }

  /**
   * Plans a buffer of `shape` (positive integer dimensions) at the next 16-byte boundary.
   * @throws RangeError naming the buffer when a dimension is not a positive integer.
   */
  allocate(name: string, shape: readonly number[], dtype: DType = 'f32'): ArenaBuffer {
    let length = 1;
    for (const dim of shape) {
      if (!Number.isInteger(dim) || dim <= 0) {
        throw new RangeError(`${name}: every dimension must be a positive integer, got shape [${shape.join(', ')}]`);
      }
      length *= dim;
    }
    const byteOffset = alignUp(this.top, ALIGN);
    const buffer: ArenaBuffer = { name, byteOffset, shape: [...shape], length, dtype };
    this.top = alignUp(byteOffset + length * BYTES[dtype], ALIGN);
    if (this.top > 0xffff0000) throw new RangeError(`${name}: the plan needs ${this.top} bytes, over wasm32's 4 GiB`);
    this.planned.push(buffer);
    return buffer;
  }

  /** Grows the memory (once) so every planned buffer is backed. */
  commit(): void {
    const have = this.memory.buffer.byteLength;
    if (this.top <= have) return;
    try {
      this.memory.grow(Math.ceil((this.top - have) / PAGE));
    } catch (error) {
      throw new RangeError(
        `the plan needs ${this.top} bytes of wasm memory and the memory cannot grow past ${have} (${(error as Error).message})`,
      );
    }
  }

  /** Plans and commits in one go, for temporaries. */
  allocateCommitted(name: string, shape: readonly number[], dtype: DType = 'f32'): ArenaBuffer {
    const buffer = this.allocate(name, shape, dtype);
    this.commit();
    return buffer;
  }

  /** A position to `release` back to: temporaries are freed in stack order. */
  mark(): number {
    return this.planned.length;
  }

  /** Forgets every buffer planned after `mark` (the memory stays grown, for reuse). */
  release(mark: number): void {
    this.planned.length = mark;
    const last = this.planned[mark - 1];
    this.top = last === undefined ? this.base : alignUp(last.byteOffset + last.length * BYTES[last.dtype], ALIGN);
  }

  f32(buffer: ArenaBuffer): Float32Array {
    return new Float32Array(this.memory.buffer, buffer.byteOffset, buffer.length);
  }

  i32(buffer: ArenaBuffer): Int32Array {
    return new Int32Array(this.memory.buffer, buffer.byteOffset, buffer.length);
  }

  u8(buffer: ArenaBuffer): Uint8Array {
    return new Uint8Array(this.memory.buffer, buffer.byteOffset, buffer.length);
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}
