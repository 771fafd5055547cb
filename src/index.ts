/** fmnist-wasm: the public API. */
export * from './core/index.js';
