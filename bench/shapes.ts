// The paper's shapes (paper.md): the MLP 784 → 300 → 200 → 75 → 10 trained with batches of 128
// (and the from-scratch network's 15), plus a square reference shape. A dense layer with input
// [batch, in] and weights [in, out] runs three products per step:
//   forward  nn: Y  = X·W      m = batch, k = in,    n = out
//   dW       tn: dW = Xᵀ·dY    m = in,    k = batch, n = out
//   dX       nt: dX = dY·Wᵀ    m = batch, k = out,   n = in
import type { ConvShape } from '../test/reference/conv2d.js';

export type GemmVariant = 'nn' | 'tn' | 'nt';

export interface GemmShape {
  variant: GemmVariant;
  m: number;
  k: number;
  n: number;
  /** Why this shape is here. */
  label: string;
  /** Part of the speed target (issue 2): must reach 85% of the probe. */
  target?: boolean;
}

/** The MLP's dense layers as [in, out]. */
export const DENSE_LAYERS: readonly (readonly [number, number])[] = [
  [784, 300],
  [300, 200],
  [200, 75],
  [75, 10],
];

/** The three products of a dense layer [inputs → units] at a batch size. */
export function denseProducts(batch: number, inputs: number, units: number, target = false): GemmShape[] {
  const layer = `dense ${inputs}→${units}, batch ${batch}`;
  return [
    { variant: 'nn', m: batch, k: inputs, n: units, label: `${layer}, forward`, target },
    { variant: 'tn', m: inputs, k: batch, n: units, label: `${layer}, dW`, target },
    { variant: 'nt', m: batch, k: units, n: inputs, label: `${layer}, dX`, target },
  ];
}

/** The speed-target shapes first, then the rest of the paper's layers. */
export function gemmShapes(quick: boolean): GemmShape[] {
  const shapes: GemmShape[] = [
    ...denseProducts(128, 784, 300, true),
    { variant: 'nn', m: 512, k: 512, n: 512, label: 'square', target: true },
  ];
  if (quick) return shapes;
  for (const [inputs, units] of DENSE_LAYERS.slice(1)) shapes.push(...denseProducts(128, inputs, units));
  shapes.push(...denseProducts(15, 784, 300));
  return shapes;
}

// ---------------------------------------------------------------------------------------------
// The other kernel families (bench/{conv2d,maxpool2d,softmax-xent,elementwise}.bench.ts).

/** A conv2d layer: NHWC input, HWIO filters, stride 1; padding 0 = 'valid', 1 = 'same' (the reference's shape type). */
export type Conv2dBenchShape = ConvShape;

/** The paper's CNN layer (28x28x1 → 32 3x3 valid, batch 64), then a deeper 'same' layer. */
export function conv2dShapes(quick: boolean): Conv2dBenchShape[] {
  const shapes: Conv2dBenchShape[] = [
    { batch: 64, height: 28, width: 28, inChannels: 1, kernelHeight: 3, kernelWidth: 3, outChannels: 32, padding: 0 },
  ];
  if (!quick)
    shapes.push({ batch: 64, height: 14, width: 14, inChannels: 32, kernelHeight: 3, kernelWidth: 3, outChannels: 64, padding: 1 });
  return shapes;
}

/** Max-pool 2x2 stride 2 inputs, batch 64: after the paper's conv (26x26x32), and 28x28x32. */
export function maxPoolShapes(
  quick: boolean,
): { batch: number; height: number; width: number; channels: number; size: number; stride: number }[] {
  const shapes = [{ batch: 64, height: 26, width: 26, channels: 32, size: 2, stride: 2 }];
  if (!quick) shapes.push({ batch: 64, height: 28, width: 28, channels: 32, size: 2, stride: 2 });
  return shapes;
}

/** Softmax + cross-entropy over 10 classes at the paper's batch sizes. */
export function softmaxXentShapes(quick: boolean): { rows: number; cols: number }[] {
  return quick
    ? [{ rows: 64, cols: 10 }]
    : [
        { rows: 64, cols: 10 },
        { rows: 128, cols: 10 },
      ];
}

/** Elementwise sizes: the first hidden layer [128, 300], and 1M elements (bandwidth). Both are cheap. */
export function elementwiseShapes(_quick: boolean): { rows: number; cols: number }[] {
  return [
    { rows: 128, cols: 300 },
    { rows: 1000, cols: 1000 },
  ];
}
