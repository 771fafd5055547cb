// `npm run bench [-- <family>...] [--quick] [--json] [--threads N] [--rounds N] [--browser]`: runs each bench/<family>.bench.ts (all by
// default, or the families named) against build/release.wasm and prints one Markdown table per
// family (--json: one JSON object on stdout instead; progress goes to stderr). Either way the
// results, with the machine and package versions, are written to bench/results/<timestamp>.json.
// Each family's table ends with the f32x4 peak probe measured right before and after it: the
// machine's speed that hour, against which a run's absolute figures can be compared.
// A family module exports `run(options)` returning rows; columns are the union of the rows' keys,
// so a family adds columns (a peer's time, a ratio) without touching this file.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measurements } from './harness.js';
import { probeGflops } from './probe.js';
import { machine, writeResults, type Results } from './results.js';
import type { BenchModule, BenchRow } from './types.js';

const FAMILIES: Record<string, () => Promise<BenchModule>> = {
  core: () => import('./core.bench.js'),
  gemm: () => import('./gemm.bench.js'),
  dense: () => import('./dense.bench.js'),
  conv2d: () => import('./conv2d.bench.js'),
  maxpool2d: () => import('./maxpool2d.bench.js'),
  'softmax-xent': () => import('./softmax-xent.bench.js'),
  elementwise: () => import('./elementwise.bench.js'),
  train: () => import('./train.bench.js'),
  threads: () => import('./threads.bench.js'),
  profile: () => import('./profile.bench.js'),
  infer: () => import('./infer.bench.js'),
  'infer-profile': () => import('./infer-profile.bench.js'),
};

export function formatTable(rows: BenchRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (v: string | number | undefined) =>
    v === undefined ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : v;
  const lines = [`| ${columns.join(' | ')} |`, `|${columns.map(() => ' --- ').join('|')}|`];
  for (const row of rows) lines.push(`| ${columns.map((c) => cell(row[c])).join(' | ')} |`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes('--quick');
  const json = argv.includes('--json');
  const browser = argv.includes('--browser');
  let rest = argv;
  /** The positive integer after `flag` (removed from `rest`), or `fallback`. */
  const count = (flag: string, fallback: number): number => {
    const at = rest.indexOf(flag);
    if (at < 0) return fallback;
    const text = rest[at + 1];
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${flag}: expected a positive integer, got ${String(text)}`);
    rest = rest.filter((_, i) => i !== at && i !== at + 1);
    return value;
  };
  const threads = count('--threads', Math.max(2, availableParallelism()));
  const rounds = count('--rounds', 1);
  const unknownFlag = rest.find((a) => a.startsWith('-') && a !== '--quick' && a !== '--json' && a !== '--browser');
  if (unknownFlag) throw new RangeError(`unknown option ${unknownFlag} (expected --quick, --json, --threads N, --rounds N, --browser)`);
  const names = rest.filter((a) => !a.startsWith('-'));
  for (const name of names) {
    if (!(name in FAMILIES))
      throw new RangeError(`unknown benchmark family "${name}" (expected one of ${Object.keys(FAMILIES).join(', ')})`);
  }
  const results: Results = {
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    quick,
    machine: machine(),
    families: [],
    measurements,
  };
  const m = results.machine;
  if (!json)
    console.log(
      `# fmnist-wasm benchmarks${quick ? ' (--quick)' : ''}\n\n${m.cpu}, ${m.cores} cores; Node ${m.node}, V8 ${m.v8}; tfjs ${m.packages['@tensorflow/tfjs']}`,
    );
  for (const name of names.length > 0 ? names : Object.keys(FAMILIES)) {
    const start = performance.now();
    process.stderr.write(`bench: ${name}…\n`);
    const { run, legend } = await FAMILIES[name]();
    const before = probeGflops();
    const rows = await run({ quick, threads, rounds, browser });
    const probe = { before, after: probeGflops() };
    results.families.push({ family: name, rows, legend, seconds: (performance.now() - start) / 1000, probe });
    const probeLine = `peak_f32x4_probe (one thread, strict): ${probe.before.toFixed(1)} GFLOP/s before this family, ${probe.after.toFixed(1)} after.`;
    if (!json)
      console.log(`\n## ${name}${quick ? ' (quick)' : ''}\n\n${formatTable(rows)}${legend ? `\n\n${legend}` : ''}\n\n${probeLine}`);
  }
  const file = writeResults(results);
  if (json) console.log(JSON.stringify(results, null, 2));
  else console.log(`\nResults: ${file}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  });
}
