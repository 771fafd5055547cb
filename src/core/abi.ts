/**
 * The typed mirror of every export of the wasm core (assembly/index.ts is the list).
 * Pointers are byte addresses into `memory`; sizes are element counts, never bytes;
 * flags are the enums below. Argument order: outputs, inputs, workspace, sizes, flags.
 * Kernels allocate nothing and keep no state; the caller owns every buffer.
 *
 * The four release builds have these exports (build/release.wasm strict SIMD128; release-shared.wasm
 * the same code on a shared memory imported as env.memory; release-relaxed*.wasm with fused
 * multiply-add); release-inference.wasm has the forward kernels only (assembly/inference.ts).
 *
 * Over 450 lines on purpose: it is the one place each export's arguments and contract are written
 * down, and a kernel's doc belongs next to its signature.
 * The `_part` exports (assembly/parts.ts) split a kernel for threads: part `part` of `parts` writes a
 * disjoint slice of the outputs; all parts together, in any order or at once on threads sharing
 * the memory, give bits identical to the unsplit kernel. Each concurrent part needs its own
 * workspace, of the size the whole call needs. The kernels without `_part` split in the caller:
 * sgd/momentum/adam steps, sigmoid and relu (forward, backward) by element ranges starting at
 * multiples of 16; bias_add forward, softmax forward, argmax and the batch gather by rows
 * (test/kernels/parts.test.ts). bias_add backward and the fused softmax cross-entropy (one summed
 * loss) do not split bit-identically as they are.
 */

/** `padding` flag of the conv2d kernels: Keras' 'valid' (no padding) or 'same' (output = input size). */
export const enum Padding {
  Valid = 0,
  Same = 1,
}

/** `reduction` flag of softmax_xent_f32_fused. */
export const enum Reduction {
  /** loss and gradient averaged over the rows (Keras). */
  Mean = 0,
  /** loss and gradient summed over the rows (the paper's from-scratch network, Figure 13). */
  Sum = 1,
}

/** `activation` flag of dense_f32_forward. */
export const enum ActivationCode {
  Linear = 0,
  Sigmoid = 1,
  Relu = 2,
}

export interface CoreExports {
  readonly memory: WebAssembly.Memory;
  /** First free byte after the module's static data. */
  heap_base(): number;

  // gemm.ts: C[m,n] (= or += when accumulate) op(A)·op(B), row-major.
  /** A [m,k], B [k,n]. */
  gemm_f32_nn(c: number, a: number, b: number, workspace: number, m: number, k: number, n: number, accumulate: number): void;
  /** A stored [k,m] (so Aᵀ·B), B [k,n]. */
  gemm_f32_tn(c: number, a: number, b: number, workspace: number, m: number, k: number, n: number, accumulate: number): void;
  /** A [m,k], B stored [n,k] (so A·Bᵀ). */
  gemm_f32_nt(c: number, a: number, b: number, workspace: number, m: number, k: number, n: number, accumulate: number): void;
  /**
   * Part `part` (0 ≤ part < parts) of gemm_f32_nn: writes a disjoint block of C (whole 8-column
   * panels, and whole 5-row panels when there are fewer panels than parts; parts beyond the useful
   * count write nothing). All parts, in any order or on threads sharing the memory, each with its
   * own workspace, leave C bit-identical to gemm_f32_nn, which is part 0 of 1.
   */
  gemm_f32_nn_part(
    c: number,
    a: number,
    b: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    accumulate: number,
    part: number,
    parts: number,
  ): void;
  /** Part of gemm_f32_tn, as gemm_f32_nn_part. */
  gemm_f32_tn_part(
    c: number,
    a: number,
    b: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    accumulate: number,
    part: number,
    parts: number,
  ): void;
  /** Part of gemm_f32_nt, as gemm_f32_nn_part. */
  gemm_f32_nt_part(
    c: number,
    a: number,
    b: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    accumulate: number,
    part: number,
    parts: number,
  ): void;
  /**
   * A dense layer's forward: y[m,n] = act(x[m,k]·w[k,n] + bias[n]); bias 0 = none; `activation`
   * an `ActivationCode`. Bit-identical to gemm_f32_nn, bias_add_f32_forward, then sigmoid or relu
   * forward; one pass over y (each block finished while it is in L1). Workspace: gemm's.
   */
  dense_f32_forward(
    y: number,
    x: number,
    w: number,
    bias: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    activation: ActivationCode,
  ): void;
  /** Part of dense_f32_forward, as gemm_f32_nn_part (the same blocks of y). */
  dense_f32_forward_part(
    y: number,
    x: number,
    w: number,
    bias: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    activation: ActivationCode,
    part: number,
    parts: number,
  ): void;
  /**
   * A dense layer's dW product with plain SGD folded in: w[m,n] −= rate · (aᵀ·b) (a stored [k,m], b
   * [k,n]), the gradient never stored; bit-identical to gemm_f32_tn into g then sgd_f32_step(w, g,
   * m·n, rate). Needs k ≤ gemm_f32_sgd_max_k() (release builds write nothing otherwise).
   */
  gemm_f32_tn_sgd(w: number, a: number, b: number, workspace: number, m: number, k: number, n: number, rate: number): void;
  /** Part of gemm_f32_tn_sgd, as gemm_f32_nn_part (the same blocks as gemm_f32_tn_part). */
  gemm_f32_tn_sgd_part(
    w: number,
    a: number,
    b: number,
    workspace: number,
    m: number,
    k: number,
    n: number,
    rate: number,
    part: number,
    parts: number,
  ): void;
  /** Largest k gemm_f32_tn_sgd takes (its k is a dense layer's batch): one k slice of the GEMM's blocking. */
  gemm_f32_sgd_max_k(): number;
  /** Bytes of 16-byte-aligned workspace every gemm call needs (a constant: the kernels block). */
  gemm_f32_workspace_bytes(): number;

  // elementwise.ts (y may alias x; dx may alias dy)
  /** y[r,c] = x[r,c] + bias[c]. */
  bias_add_f32_forward(y: number, x: number, bias: number, rows: number, cols: number): void;
  /** dbias[c] (= or +=) Σ_r dy[r,c]. */
  bias_add_f32_backward(dbias: number, dy: number, rows: number, cols: number, accumulate: number): void;
  sigmoid_f32_forward(y: number, x: number, count: number): void;
  /** dx = dy · y · (1 − y), from the forward output y. */
  sigmoid_f32_backward(dx: number, dy: number, y: number, count: number): void;
  relu_f32_forward(y: number, x: number, count: number): void;
  /** dx = dy where y > 0, else 0, from the forward output y. */
  relu_f32_backward(dx: number, dy: number, y: number, count: number): void;

  // softmax-xent.ts
  /** Row-wise softmax, max-subtracted. y may alias x. */
  softmax_f32_forward(y: number, x: number, rows: number, cols: number): void;
  /**
   * Softmax + categorical cross-entropy from logits [rows, cols] and targets [rows, cols]
   * (one-hot or any distribution). Writes dlogits = p − y (divided by rows for Mean) and
   * returns the loss (mean or sum over rows). dlogits may alias logits.
   */
  softmax_xent_f32_fused(dlogits: number, logits: number, targets: number, rows: number, cols: number, reduction: Reduction): number;

  // conv2d.ts: NHWC input [batch,height,width,inChannels], HWIO filters
  // [kernelHeight,kernelWidth,inChannels,outChannels], stride 1, output [batch,outH,outW,outChannels].
  /** output = conv(input, filters) + bias (bias 0 = none). Overwrites output. */
  conv2d_f32_nhwc_forward(
    output: number,
    input: number,
    filters: number,
    bias: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
  ): void;
  /** dinput from doutput and filters. Overwrites dinput. */
  conv2d_f32_nhwc_backward_data(
    dinput: number,
    doutput: number,
    filters: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
  ): void;
  /** dfilters (and dbias unless 0) from input and doutput; = or += when accumulate. */
  conv2d_f32_nhwc_backward_filter(
    dfilters: number,
    dbias: number,
    input: number,
    doutput: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
    accumulate: number,
  ): void;
  /**
   * Part `part` of `parts` of conv2d_f32_nhwc_forward: the output of its run of batch samples.
   * Like every `_part` export: parts write disjoint slices, and all of them, in any order or on
   * threads sharing the memory, each with its own workspace of the whole call's size, leave the
   * outputs bit-identical to the unsplit kernel (part 0 of 1). Extra parts write nothing.
   */
  conv2d_f32_nhwc_forward_part(
    output: number,
    input: number,
    filters: number,
    bias: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
    part: number,
    parts: number,
  ): void;
  /** Part of conv2d_f32_nhwc_backward_data: dinput of its run of batch samples (zeroes only those). */
  conv2d_f32_nhwc_backward_data_part(
    dinput: number,
    doutput: number,
    filters: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
    part: number,
    parts: number,
  ): void;
  /** Part of conv2d_f32_nhwc_backward_filter: the dfilters columns and dbias entries of its run of 8-channel groups. */
  conv2d_f32_nhwc_backward_filter_part(
    dfilters: number,
    dbias: number,
    input: number,
    doutput: number,
    workspace: number,
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
    accumulate: number,
    part: number,
    parts: number,
  ): void;
  /** Workspace bytes the three conv2d kernels need for this shape (max over the three). */
  conv2d_f32_workspace_bytes(
    batch: number,
    height: number,
    width: number,
    inChannels: number,
    kernelHeight: number,
    kernelWidth: number,
    outChannels: number,
    padding: Padding,
  ): number;

  // maxpool2d.ts: NHWC, 'valid' windows: out = floor((in − size) / stride) + 1.
  /** output [batch,outH,outW,channels]; argmax (i32, same shape) = flat index into input. */
  maxpool2d_f32_nhwc_forward(
    output: number,
    argmax: number,
    input: number,
    batch: number,
    height: number,
    width: number,
    channels: number,
    size: number,
    stride: number,
  ): void;
  /** dinput = 0, then dinput[argmax[i]] += doutput[i]. */
  maxpool2d_f32_nhwc_backward(
    dinput: number,
    doutput: number,
    argmax: number,
    batch: number,
    height: number,
    width: number,
    channels: number,
    size: number,
    stride: number,
  ): void;

  /** Part `part` of `parts` of maxpool2d_f32_nhwc_forward: output and argmax of its run of samples. */
  maxpool2d_f32_nhwc_forward_part(
    output: number,
    argmax: number,
    input: number,
    batch: number,
    height: number,
    width: number,
    channels: number,
    size: number,
    stride: number,
    part: number,
    parts: number,
  ): void;
  /**
   * Part of maxpool2d_f32_nhwc_backward: dinput of its run of samples. With parts > 1 each argmax
   * entry must point into its own sample (the forward's always do).
   */
  maxpool2d_f32_nhwc_backward_part(
    dinput: number,
    doutput: number,
    argmax: number,
    batch: number,
    height: number,
    width: number,
    channels: number,
    size: number,
    stride: number,
    part: number,
    parts: number,
  ): void;

  // optimizers.ts (Keras' update rules)
  /** params −= learningRate · grads. */
  sgd_f32_step(params: number, grads: number, count: number, learningRate: number): void;
  /** velocity = momentum · velocity − learningRate · grads; params += velocity. */
  momentum_f32_step(params: number, velocity: number, grads: number, count: number, learningRate: number, momentum: number): void;
  /** Keras Adam, step t ≥ 1: α = lr·√(1−β2ᵗ)/(1−β1ᵗ); m,v updated; params −= α·m/(√v + ε). */
  adam_f32_step(
    params: number,
    m: number,
    v: number,
    grads: number,
    count: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    step: number,
  ): void;

  // data.ts
  /**
   * inputs[b, p] = images[indices[b]·pixels + p] / 255 (f32), targets[b, :] = one-hot(labels[indices[b]])
   * (targets 0 = skip). images/labels are u8, indices i32.
   */
  gather_batch_u8_f32(
    inputs: number,
    targets: number,
    images: number,
    labels: number,
    indices: number,
    batchSize: number,
    pixels: number,
    classes: number,
  ): void;
  /** out[r] = index of the first maximum of x[r, :] (i32). */
  argmax_f32_rows(out: number, x: number, rows: number, cols: number): void;

  /**
   * gather_batch_u8_f32 with, per image, a shift of up to ±maxShift pixels on each axis and (flip ≠ 0)
   * a random horizontal mirror, zero-filled; drawn from (seed, image index) only (assembly/data.ts).
   */
  gather_batch_augment_u8_f32(
    inputs: number,
    targets: number,
    images: number,
    labels: number,
    indices: number,
    batchSize: number,
    height: number,
    width: number,
    classes: number,
    maxShift: number,
    flip: number,
    seed: number,
  ): void;

  // dropout.ts: inverted dropout, mask[i] = 1/(1 − rate) or 0 drawn from (seed, i); y may alias x.
  dropout_f32_forward(y: number, mask: number, x: number, count: number, rate: number, seed: number): void;
  /** dx = dy · mask (dx may alias dy). */
  dropout_f32_backward(dx: number, dy: number, mask: number, count: number): void;

  // batchnorm.ts: per column of x [rows, cols] (Dense [batch, units], conv NHWC [batch·h·w, channels]).
  /** Batch statistics: writes mean, invstd [cols] and y; updates moving_mean/moving_var (Keras momentum). */
  batchnorm_f32_forward_train(
    y: number,
    mean: number,
    invstd: number,
    movingMean: number,
    movingVar: number,
    x: number,
    gamma: number,
    beta: number,
    workspace: number,
    rows: number,
    cols: number,
    momentum: number,
    epsilon: number,
  ): void;
  /** y = gamma·(x − moving_mean)/√(moving_var + ε) + beta. */
  batchnorm_f32_forward_inference(
    y: number,
    x: number,
    movingMean: number,
    movingVar: number,
    gamma: number,
    beta: number,
    workspace: number,
    rows: number,
    cols: number,
    epsilon: number,
  ): void;
  /** Workspace bytes of both forwards for `cols` columns. */
  batchnorm_f32_workspace_bytes(cols: number): number;
  /** dx, dgamma, dbeta (all overwritten) from dy, x and the forward's mean/invstd. dx may alias dy. */
  batchnorm_f32_backward(
    dx: number,
    dgamma: number,
    dbeta: number,
    dy: number,
    x: number,
    mean: number,
    invstd: number,
    gamma: number,
    rows: number,
    cols: number,
  ): void;
  /** Part `part` of `parts` of batchnorm_f32_forward_train: its run of columns (groups of 4). */
  batchnorm_f32_forward_train_part(
    y: number,
    mean: number,
    invstd: number,
    movingMean: number,
    movingVar: number,
    x: number,
    gamma: number,
    beta: number,
    workspace: number,
    rows: number,
    cols: number,
    momentum: number,
    epsilon: number,
    part: number,
    parts: number,
  ): void;
  /** Part `part` of `parts` of batchnorm_f32_forward_inference: its run of columns. */
  batchnorm_f32_forward_inference_part(
    y: number,
    x: number,
    movingMean: number,
    movingVar: number,
    gamma: number,
    beta: number,
    workspace: number,
    rows: number,
    cols: number,
    epsilon: number,
    part: number,
    parts: number,
  ): void;
  /** Part `part` of `parts` of batchnorm_f32_backward: its run of columns. */
  batchnorm_f32_backward_part(
    dx: number,
    dgamma: number,
    dbeta: number,
    dy: number,
    x: number,
    mean: number,
    invstd: number,
    gamma: number,
    rows: number,
    cols: number,
    part: number,
    parts: number,
  ): void;
}
