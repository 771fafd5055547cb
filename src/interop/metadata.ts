/**
 * What an exported model says about its input and output, beside the graph: both formats carry it
 * (TF.js in `userDefinedMetadata.fmnist`, ONNX in `metadata_props`) so a consumer can prepare the
 * pixels and name the classes without this package.
 */
import type { Sequential } from '../models/sequential.js';

/** The `fmnist` entry of a TF.js model's `userDefinedMetadata`, and the ONNX `metadata_props` keys. */
export interface ExportMetadata {
  /** Class names indexed by output position (label 0..9). */
  classNames: string[];
  /** Multiply the u8 pixels (0 = background, 255 = ink) by this before feeding the model: 1/255. */
  inputScale: number;
  /** Per-sample input shape in our (NHWC) layout: [784] or [28, 28, 1]. */
  inputShape: number[];
  /** The producing package and its architecture record, when made by a named factory. */
  producer: string;
  architecture: { name: string; options: Record<string, unknown> } | null;
}

/** The package name written as producer. */
export const PRODUCER = 'fmnist-wasm';

export function exportMetadata(model: Sequential): ExportMetadata {
  return {
    classNames: [...model.classNames],
    inputScale: 1 / 255,
    inputShape: [...model.inputShape],
    producer: PRODUCER,
    architecture: model.architecture ?? null,
  };
}
