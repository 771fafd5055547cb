// Splitting a kernel's work into `parts` for threads that share one memory (the `_part` exports).
// Contract of every `<kernel>_part(…, part, parts)`: for 0 ≤ part < parts, part `part` writes a
// disjoint, deterministic slice of every output and nothing else; running all parts, in any order
// or concurrently on threads that share the memory, each with its own workspace of the size the
// whole call needs, leaves every output bit-identical to the unsplit kernel, which is part 0 of 1.
// Parts beyond the useful count (more parts than samples, panels or channel groups) write nothing,
// and so does a call with part or parts out of range (the debug build traps on it).
// Each kernel splits along a dimension whose elements are summed independently of the split (see
// the kernel files), so the summation order of every output element is the unsplit one.

/** First of `units` units owned by part `part` of `parts`: consecutive runs, sizes differing by ≤ 1. */
// @ts-ignore: decorator
@inline export function part_start(units: i32, part: i32, parts: i32): i32 {
  return <i32>(<i64>units * <i64>part / <i64>parts);
}

/** 0 ≤ part < parts: the `_part` exports assert it (debug) and otherwise return without writing. */
// @ts-ignore: decorator
@inline export function valid_part(part: i32, parts: i32): bool {
  return parts >= 1 && part >= 0 && part < parts;
}
