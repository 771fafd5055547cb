/**
 * Node's built-in modules, for the code paths that run only in Node (reading the .wasm from disk,
 * gunzip off the main thread, worker_threads, file writes). The specifier is computed, so a bundler
 * building the browser entry neither bundles these modules nor warns that it externalised them
 * (Vite did, for every `import('node:…')` literal it could reach); a browser never takes these paths.
 */
interface NodeModules {
  crypto: typeof import('node:crypto');
  fs: typeof import('node:fs');
  'fs/promises': typeof import('node:fs/promises');
  os: typeof import('node:os');
  path: typeof import('node:path');
  worker_threads: typeof import('node:worker_threads');
  zlib: typeof import('node:zlib');
}

/** True in Node (and runtimes that present themselves as Node). */
export const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

/** `import('node:<name>')`, out of bundlers' sight. */
export function importNode<Name extends keyof NodeModules>(name: Name): Promise<NodeModules[Name]> {
  const specifier = `node:${name}`;
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<NodeModules[Name]>;
}
