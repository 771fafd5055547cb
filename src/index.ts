/** fmnist-wasm: the public API. */
export * from './core/index.js';
export * from './layers/index.js';
export * from './models/index.js';
export * from './train/index.js';
export * from './data/index.js';
export * from './metrics/index.js';
export * from './errors.js';
