/**
 * `fmnist-wasm/core`: the level below the application API, for kernel benchmarks, custom layers
 * and tools that read the file formats. Applications need none of it: `fmnist-wasm` (index.ts,
 * browser.ts) has what training and inference take.
 *
 * - The kernels: `core.exports` / `core.kernels` take byte addresses into the core's one wasm memory
 *   and element counts (`CoreExports` documents each, src/core/abi.ts); `Arena` plans buffers in
 *   that memory (`allocate`/`commit`, `f32(name)` views).
 * - Layer authoring: a `Layer` subclass registers its parameters and per-batch buffers at `build`
 *   (`BuildPlan`, `ParameterSlot`, `BatchSlot`) and runs a fixed list of kernels in `forward` and
 *   `backward` on the addresses of the run (`LayerBuffers`), as the built-in layers do
 *   (src/layers/dense.ts is the shortest complete example); `KernelLayer` is the base of a layer
 *   with a kernel, an optional bias and an activation (Dense and Conv2D extend it).
 * - File internals: the model file's magic and version; checkpoints as bytes.
 *
 * Works in Node and in browsers (nothing here imports a Node module).
 */

// The core and its kernels.
export {
  ActivationCode,
  Arena,
  Padding,
  Reduction,
  hasRelaxedSimd,
  hasWasmSimd,
  loadCore,
  type ArenaBuffer,
  type Conv2dShape,
  type Core,
  type CoreExports,
  type DType,
  type KernelSet,
  type LoadOptions,
  type MaxPool2dShape,
  type SimdMode,
} from './core/index.js';

// Layer authoring.
export {
  ACTIVATIONS,
  INITIALIZERS,
  KernelLayer,
  Layer,
  layerFromConfig,
  type BatchSlot,
  type BuildPlan,
  type ForwardMode,
  type KernelLayerOptions,
  type LayerBuffers,
  type LayerClassName,
  type ParameterSlot,
} from './layers/index.js';

// Architectures as layer lists, and the file formats' internals.
export {
  MODEL_FILE_MAGIC,
  MODEL_FILE_VERSION,
  architectureLayers,
  buildArchitecture,
  parseCheckpoint,
  serializeCheckpoint,
} from './models/index.js';
