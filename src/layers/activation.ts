/**
 * Activation functions as kernel calls, shared by Dense and Conv2D (which apply them in place on
 * their output) and by the standalone `Activation` layer.
 *
 * The backward passes use the forward OUTPUT y (sigmoid' = y(1 − y), relu' = [y > 0]), so the
 * pre-activation never has to be kept. Softmax has no backward here: it is only allowed as the
 * model's output activation, where the loss fuses it (softmax_xent_f32_fused gives ∂loss/∂logits).
 */
import type { CoreExports } from '../core/abi.js';
import { ACTIVATIONS, Layer, oneOf, size, type ActivationName, type LayerBuffers, type LayerConfig, type Shape } from './layer.js';

/**
 * y = act(x) over `rows` rows of `cols` values (y may alias x). With `logits`, softmax is skipped.
 */
export function activationForward(
  k: CoreExports,
  activation: ActivationName,
  y: number,
  x: number,
  rows: number,
  cols: number,
  logits: boolean,
): void {
  switch (activation) {
    case 'sigmoid':
      k.sigmoid_f32_forward(y, x, rows * cols);
      return;
    case 'relu':
      k.relu_f32_forward(y, x, rows * cols);
      return;
    case 'softmax':
      if (logits) {
        if (y !== x) copyF32(k, y, x, rows * cols);
      } else {
        k.softmax_f32_forward(y, x, rows, cols);
      }
      return;
    case 'linear':
      if (y !== x) copyF32(k, y, x, rows * cols);
      return;
  }
}

/**
 * dx = dy · act'(from y) (dx may alias dy). Softmax (fused with the loss, so dy is already
 * ∂loss/∂logits) and linear pass dy through.
 */
export function activationBackward(k: CoreExports, activation: ActivationName, dx: number, dy: number, y: number, count: number): void {
  switch (activation) {
    case 'sigmoid':
      k.sigmoid_f32_backward(dx, dy, y, count);
      return;
    case 'relu':
      k.relu_f32_backward(dx, dy, y, count);
      return;
    case 'softmax':
    case 'linear':
      if (dx !== dy) copyF32(k, dx, dy, count);
      return;
  }
}

/** A copy inside wasm memory (TypedArray.copyWithin is a memmove, not a JS element loop). */
function copyF32(k: CoreExports, dst: number, src: number, count: number): void {
  new Uint8Array(k.memory.buffer).copyWithin(dst, src, src + count * 4);
}

export interface ActivationOptions {
  name?: string;
}

/** Applies an activation function to its input (Keras `Activation`). The output shape is the input shape. */
export class Activation extends Layer {
  readonly className = 'Activation' as const;
  private readonly fn: ActivationName;

  /** @throws ArgumentError when `activation` is not one of 'linear', 'sigmoid', 'relu', 'softmax'. */
  constructor(activation: ActivationName, options: ActivationOptions = {}) {
    super(options.name);
    this.fn = oneOf('activation', activation, ACTIVATIONS);
  }

  override get activation(): ActivationName {
    return this.fn;
  }

  computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape];
  }

  forward(k: CoreExports, at: LayerBuffers, rows: number, logits: boolean): void {
    activationForward(k, this.fn, at.y, at.x, rows, size(this.inputShape!), logits);
  }

  backward(k: CoreExports, at: LayerBuffers, rows: number): void {
    if (at.dx === 0) return;
    activationBackward(k, this.fn, at.dx, at.dy, at.y, rows * size(this.inputShape!));
  }

  getConfig(): LayerConfig {
    return { className: 'Activation', name: this.name, activation: this.fn };
  }
}
