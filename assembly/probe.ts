// NOT YET IMPLEMENTED (gemm helper).
export function peak_f32x4_probe(iterations: i32): f32 { unreachable(); return 0; }
