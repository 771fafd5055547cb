// One run per checkpoint directory (issue 20, item 4): two `fmnist train` runs started together on
// one --checkpoint-dir, then a run SIGKILLed while it holds the directory, whose stale lock the
// resuming run takes over. Before the lock, both concurrent runs exited 0 and one's checkpoint was lost.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, CHECKPOINT_LOCK, readCheckpoint } from '../../src/models/checkpoint.js';
import { cleanupTempDirs, tempDir, writeIdxDir } from '../data/fixtures.js';
import { fmnist, MAIN, type Run } from '../helpers/cli.js';

let root: string;
let data: string;
beforeAll(() => {
  root = tempDir('fmnist-concurrent-');
  data = join(root, 'data');
  writeIdxDir(data, 3000, 20);
});
afterAll(cleanupTempDirs);

const run = (seed: number, dir: string, epochs = 4) => [
  'train',
  '--model',
  'mlp',
  '--hidden',
  '32',
  '--epochs',
  String(epochs),
  '--data',
  data,
  '--seed',
  String(seed),
  '--checkpoint-dir',
  dir,
  '--json',
];

/** Starts `fmnist ...args`; resolves with its exit code and output. */
function start(args: string[]): { pid: number; done: Promise<Run & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<Run & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
  return { pid: child.pid!, done };
}

describe('one run per checkpoint directory', () => {
  it('of two runs started together, one trains and the other exits 2 naming the directory', async () => {
    const dir = join(root, 'together');
    const [a, b] = await Promise.all([start(run(1, dir)).done, start(run(2, dir)).done]);
    const codes = [a.code, b.code].sort();
    expect(codes, `${a.stderr}\n${b.stderr}`).toEqual([0, 2]);
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    expect(loser.stderr.trim().split('\n')).toHaveLength(1);
    expect(loser.stderr).toMatch(
      new RegExp(`--checkpoint-dir: ${dir} (is in use by another run \\(pid \\d+|already holds a training checkpoint)`),
    );
    // The checkpoint on disk is the winner's, whole.
    expect((await readCheckpoint(dir)).config.seed).toBe(JSON.parse(winner.stdout).seed);
    expect(existsSync(join(dir, CHECKPOINT_LOCK))).toBe(false);
  }, 120_000);

  it('refuses a second run while one holds the directory; after a SIGKILL, --resume takes the stale lock over', async () => {
    const dir = join(root, 'killed');
    const first = start(run(3, dir, 20));
    while (!existsSync(join(dir, CHECKPOINT_FILE))) await new Promise((r) => setTimeout(r, 5));
    // Stopped, not dead: it holds the directory for as long as the second run needs to try.
    process.kill(first.pid, 'SIGSTOP');
    expect(Number.parseInt(readFileSync(join(dir, CHECKPOINT_LOCK), 'utf8'), 10)).toBe(first.pid);
    const second = await fmnist('train', '--resume', dir, '--data', data, '--json');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`--resume: ${dir} is in use by another run \\(pid ${first.pid}\\)`));
    process.kill(first.pid, 'SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(existsSync(join(dir, CHECKPOINT_LOCK))).toBe(true); // stale now
    const resumed = await fmnist('train', '--resume', dir, '--data', data, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await readCheckpoint(dir)).finished).toBe(true);
    expect(existsSync(join(dir, CHECKPOINT_LOCK))).toBe(false);
  }, 120_000);
});
