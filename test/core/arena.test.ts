import { describe, expect, it } from 'vitest';
import { loadCore } from '../../src/index.js';

describe('Arena', () => {
  it('plans 16-byte-aligned, non-overlapping buffers and grows only at commit', async () => {
    const { arena } = await loadCore();
    const before = arena.memory.buffer.byteLength;
    const a = arena.allocate('dense_1/kernel', [3, 5]);
    const b = arena.allocate('dense_1/bias', [5]);
    const c = arena.allocate('data/images', [1_000_000], 'u8');
    expect(a.byteOffset % 16).toBe(0);
    expect(b.byteOffset % 16).toBe(0);
    expect(b.byteOffset).toBeGreaterThanOrEqual(a.byteOffset + 15 * 4);
    expect(c.byteOffset).toBeGreaterThanOrEqual(b.byteOffset + 5 * 4);
    expect(arena.memory.buffer.byteLength).toBe(before);
    arena.commit();
    expect(arena.memory.buffer.byteLength).toBeGreaterThanOrEqual(c.byteOffset + c.length);
    expect(arena.buffers.map((x) => x.name)).toEqual(['dense_1/kernel', 'dense_1/bias', 'data/images']);
  });

  it('gives views that see the same memory after growth', async () => {
    const { arena } = await loadCore();
    const a = arena.allocateCommitted('a', [4]);
    arena.f32(a).set([1, 2, 3, 4]);
    arena.allocateCommitted('big', [64 * 1024 * 1024], 'u8');
    expect(Array.from(arena.f32(a))).toEqual([1, 2, 3, 4]);
  });

  it('releases temporaries in stack order and reuses their space', async () => {
    const { arena } = await loadCore();
    arena.allocate('keep', [10]);
    const mark = arena.mark();
    const temp = arena.allocate('temp', [100]);
    arena.release(mark);
    const again = arena.allocate('again', [100]);
    expect(again.byteOffset).toBe(temp.byteOffset);
    expect(arena.buffers.map((x) => x.name)).toEqual(['keep', 'again']);
  });

  it('rejects non-positive or fractional dimensions, naming the buffer', async () => {
    const { arena } = await loadCore();
    expect(() => arena.allocate('conv/kernel', [3, 0])).toThrow(RangeError);
    expect(() => arena.allocate('conv/kernel', [3, 0])).toThrow(/conv\/kernel.*\[3, 0\]/);
    expect(() => arena.allocate('x', [2.5])).toThrow(/x: every dimension must be a positive integer/);
  });
});
