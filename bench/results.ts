// The results file: bench/results/<timestamp>.json (gitignored), with the machine and the
// versions a figure depends on, the tables' rows and every raw measurement.
import { readFileSync, renameSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchRow } from './types.js';
import type { Measurement } from './harness.js';

export interface Machine {
  cpu: string;
  /** Logical cores the OS reports (os.availableParallelism()). */
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  v8: string;
  packages: Record<string, string>;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function version(name: string): string {
  try {
    // Read from node_modules directly: packages whose `exports` hide package.json (tinybench) cannot be required.
    return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'not installed';
  }
}

export function machine(): Machine {
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
  const packages: Record<string, string> = { [own.name]: own.version };
  for (const name of [
    'assemblyscript',
    'tinybench',
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-core',
    '@tensorflow/tfjs-layers',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-backend-cpu',
    'onnxruntime-web',
  ])
    packages[name] = version(name);
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    v8: process.versions.v8,
    packages,
  };
}

export interface FamilyResult {
  family: string;
  rows: BenchRow[];
  legend?: string;
  seconds: number;
  /** peak_f32x4_probe GFLOP/s (bench/probe.ts' probeGflops) right before and right after the family ran. */
  probe: { before: number; after: number };
}

export interface Results {
  startedAt: string;
  command: string;
  quick: boolean;
  machine: Machine;
  families: FamilyResult[];
  measurements: Measurement[];
}

/** Writes the results atomically under bench/results/ and returns the path. */
export function writeResults(results: Results): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const file = `${dir}${stamp}${results.quick ? '-quick' : ''}.json`;
  writeFileSync(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
