// The package a consumer installs: `npm pack` (of the build `npm test` made), installed from the
// tarball into a fresh project as a user would. It carries no install-time script (npm 11 asks
// users to approve those), the CLI runs, the entries import from ESM in Node, and a strict
// TypeScript consumer (target es2022, nodenext or bundler resolution, skipLibCheck off, with and
// without @types/node) type-checks against the published declarations.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_DATA_DIR } from '../../src/data/index.js';

const REPO = new URL('../..', import.meta.url).pathname;
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const DATA_DIR = process.env.FASHION_MNIST_DIR ?? SYSTEM_DATA_DIR;

let work: string;
let consumer: string;
let packed: { files: { path: string }[]; filename: string };
let installLog: string;

/**
 * The user's npm: the first on PATH outside node_modules/.bin. A dependency brings an old npm
 * there, which `npm run` puts first (so npm test's nested `npm run` scripts, and npm_execpath, are it).
 */
function npm(args: string[], cwd: string): { stdout: string; stderr: string } {
  const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => !dir.endsWith(join('node_modules', '.bin')));
  const env = { ...process.env, PATH: path.join(delimiter), npm_config_fund: 'false', npm_config_audit: 'false' };
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

function run(command: string, args: string[], cwd = consumer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, FASHION_MNIST_DIR: DATA_DIR } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fmnist-package-'));
  // The build `npm test` made: packing must not run a build of its own.
  const { stdout } = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: the dependencies come from npm's cache, which `npm ci` filled.
  const install = npm(['install', '--prefer-offline', join(work, packed.filename), '@types/node@20'], consumer);
  installLog = `${install.stdout}\n${install.stderr}`;
}, 300_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the published package', () => {
  it('holds the compiled entries, their declarations and the release builds; no sources, no tests, no debug build', () => {
    const paths = packed.files.map((file) => file.path);
    for (const path of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/core-api.js',
      'dist/core-api.d.ts',
      'dist/cli/main.js',
      'build/release.wasm',
      'build/release-shared.wasm',
      'build/release-inference.wasm',
    ])
      expect(paths).toContain(path);
    expect(paths.filter((path) => /^(src|test|bench|assembly)\//.test(path) || path.endsWith('debug.wasm'))).toEqual([]);
  });

  it('installs without an install-time script', () => {
    expect(installLog).not.toMatch(/install-scripts|prepare|postinstall/);
  });

  it('runs the CLI: trains, saves and evaluates a model', () => {
    const trained = run(join(consumer, 'node_modules', '.bin', 'fmnist'), [
      ...['train', '--model', 'mlp', '--epochs', '1', '--limit', '1000', '--seed', '1'],
      ...['--save', 'm.fmnist', '--json'],
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    expect(JSON.parse(trained.stdout).testAccuracy).toBeGreaterThan(0.5);
    const evaluated = run(join(consumer, 'node_modules', '.bin', 'fmnist'), ['evaluate', '--load', 'm.fmnist', '--json']);
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).testAccuracy).toBe(JSON.parse(trained.stdout).testAccuracy);
  });

  it('imports from ESM in Node: the root, the browser, core and interop entries', () => {
    const script = `
      import { loadCore, createModel } from 'fmnist-wasm';
      import * as browser from 'fmnist-wasm/browser';
      import { Arena, Layer } from 'fmnist-wasm/core';
      import { exportModel } from 'fmnist-wasm/interop';
      const core = await loadCore({ threads: 1 });
      const product = core.matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2);
      const model = await createModel('mlp', { seed: 1, core: await loadCore({ threads: 1 }) });
      const { labels } = model.predict(new Uint8Array(784).fill(100), 1);
      const files = exportModel(model, 'onnx');
      const layers = model.layers.every((layer) => layer instanceof Layer) && core.arena instanceof Arena;
      console.log(JSON.stringify({ product: [...product], label: labels[0], browser: typeof browser.loadCore, onnx: files[0].bytes.length > 0, layers }));`;
    const result = run(process.execPath, ['--input-type=module', '-e', script]);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { product: number[]; label: number; browser: string; onnx: boolean; layers: boolean };
    expect(out).toMatchObject({ product: [19, 22, 43, 50], browser: 'function', onnx: true, layers: true });
    expect(out.label).toBeGreaterThanOrEqual(0);
  });

  const CONSUMER_TS = `
import { createModel, loadCore, type Core } from 'fmnist-wasm';
import { type CoreExports, Layer } from 'fmnist-wasm/core';
using core: Core = await loadCore({ threads: 1 });
const kernels: CoreExports = core.kernels;
console.log(typeof kernels.gemm_f32_nn, Layer.name);
const product: Float32Array = core.matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2);
using model = await createModel('cnn', { seed: 1 });
const { labels } = model.predict(new Uint8Array(784), 1);
console.log(product.length, labels[0]);
`;

  it.each([
    ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }, ['node']],
    ['nodenext without @types/node', { module: 'nodenext', moduleResolution: 'nodenext' }, []],
    ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, []],
  ] as const)('type-checks a strict TypeScript consumer (%s, skipLibCheck off)', (name, resolution, types) => {
    const dir = join(consumer, `ts-${name.replaceAll(' ', '-')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.ts'), CONSUMER_TS);
    const compilerOptions = {
      target: 'es2022',
      lib: ['es2022', 'dom'],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      types,
      ...resolution,
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['main.ts'] }));
    let output = '';
    try {
      execFileSync(process.execPath, [TSC, '-p', dir], { cwd: dir, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  });
});
