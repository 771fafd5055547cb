// `fmnist train --checkpoint-dir DIR` killed with SIGKILL at several moments (right when the first
// checkpoint shows, and later, so some kills land during a checkpoint write), then
// `fmnist train --resume DIR`: the model it saves is byte-identical to the one of the same run left
// alone, and the checkpoint on disk is always a whole one (it reads back, CRC checked).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src/models/checkpoint.js';
import { fmnist, MAIN } from '../helpers/cli.js';

const RUN = [
  'train',
  '--model',
  'mlp',
  '--hidden',
  '48',
  '--dropout',
  '0.1',
  '--batch-norm',
  '--limit',
  '4000',
  '--epochs',
  '5',
  '--validation-split',
  '0.1',
  '--early-stopping',
  '3',
  '--lr-schedule',
  'cosine',
  '--augment',
  'shift:1,flip',
  '--seed',
  '2',
  '--json',
];

/** Starts RUN with a checkpoint directory; SIGKILLs it `delay` ms after the first checkpoint shows. */
async function killed(dir: string, delay: number): Promise<{ signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [MAIN, ...RUN, '--checkpoint-dir', dir], { stdio: 'ignore' });
  const exit = new Promise<{ signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (_code, signal) => resolve({ signal })));
  let done = false;
  void exit.then(() => {
    done = true;
  });
  while (!done && !existsSync(join(dir, CHECKPOINT_FILE))) await new Promise((r) => setTimeout(r, 2));
  if (!done) {
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
  }
  return exit;
}

describe('train --resume after SIGKILL', () => {
  it('ends byte-identical to the run left alone, whatever the moment of the kill', async () => {
    const root = mkdtempSync(join(tmpdir(), 'fmnist-resume-'));
    const alone = join(root, 'alone.fmnist');
    const whole = await fmnist(...RUN, '--save', alone);
    expect(whole.code, whole.stderr).toBe(0);
    let killedMidRun = 0;
    for (const [i, delay] of [0, 15, 40, 90].entries()) {
      const dir = join(root, `run-${i}`);
      const { signal } = await killed(dir, delay);
      if (signal === 'SIGKILL') killedMidRun++;
      const checkpoint = await readCheckpoint(dir); // whole: magic, lengths and CRC-32 check out
      expect(checkpoint.epoch).toBeGreaterThanOrEqual(1);
      const save = join(root, `resumed-${i}.fmnist`);
      const resumed = await fmnist('train', '--resume', dir, '--save', save, '--json');
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout).resumedFrom).toEqual({ directory: dir, epoch: checkpoint.epoch });
      expect(
        readFileSync(save).equals(readFileSync(alone)),
        `kill ${delay} ms after the first checkpoint (epoch ${checkpoint.epoch})`,
      ).toBe(true);
      expect(JSON.parse(resumed.stdout).testLoss).toBe(JSON.parse(whole.stdout).testLoss);
      // A temporary file of a kill during a write is removed by the resumed run's next checkpoint write.
      if (!checkpoint.finished) expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    }
    // At least one kill landed before the end (the test would prove nothing otherwise).
    expect(killedMidRun).toBeGreaterThan(0);
  }, 120_000);

  it('refuses run flags with --resume and names a missing checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fmnist-resume-'));
    const withFlags = await fmnist('train', '--resume', dir, '--epochs', '3', '--seed', '1');
    expect(withFlags.code).toBe(2);
    expect(withFlags.stderr).toMatch(/--resume: continues the run with its own settings; drop --epochs, --seed/);
    const missing = await fmnist('train', '--resume', dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/training\.ckpt: no checkpoint here/);
  });
});
