/**
 * `fmnist reproduce`: the six rows of the paper's table (section 5.2) with the paper's settings,
 * side by side with the paper's figures, as Markdown + JSON + an SVG chart in --out. The report is
 * rewritten after every row, so an interrupted run keeps what it finished.
 */
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ArgumentError } from '../errors.js';
import { trainAndEvaluate, type TrainingConfig } from '../models/training.js';
import { OPTIMIZERS, type OptimizerName } from '../train/optimizers.js';
import { PAPER_ROWS, type PaperRow } from '../reproduce/presets.js';
import { accuracyChartSvg } from '../reproduce/chart.js';
import { formatReproduceMarkdown, forwardMacsPerImage, rowSettings, type RowResult, type ReproduceReport } from '../reproduce/report.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { integerList, nonNegativeInteger, oneOf, pathValue, positiveInteger, positiveNumber } from './options.js';
import { progressCallbacks } from './progress.js';
import { cliEvaluation, loadData } from './session.js';
import { checkOptionsApply } from './validate.js';
import { coreSettings, withCoreOptions, type CoreFlags } from './core-options.js';
import { runRowsSideBySide } from './side-by-side.js';

interface ReproduceFlags extends CoreFlags {
  epochs?: number;
  rows?: number[];
  out: string;
  json: boolean;
  data?: string;
  seed: number;
  limit?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  activation?: 'sigmoid' | 'relu';
  filters?: number;
  kernelSize?: number;
  jobs: number;
}

/** The row's configuration with the command line's overrides applied. */
function effectiveConfig(row: PaperRow, flags: ReproduceFlags): TrainingConfig {
  const c = row.config;
  const options = c.architectureOptions ?? {};
  return {
    ...c,
    architectureOptions: {
      ...options,
      ...(c.architecture === 'scratch-mlp' ? {} : { activation: flags.activation ?? options.activation }),
      ...(c.architecture === 'cnn'
        ? { filters: flags.filters ?? options.filters, kernelSize: flags.kernelSize ?? options.kernelSize }
        : {}),
    },
    optimizer: { type: flags.optimizer ?? c.optimizer.type, learningRate: flags.lr ?? c.optimizer.learningRate },
    epochs: flags.epochs === undefined ? c.epochs : Math.min(flags.epochs, c.epochs),
    batchSize: flags.batchSize ?? c.batchSize,
    seed: flags.seed,
    limit: flags.limit,
    ...coreSettings(flags),
  };
}

export function reproduceCommand(): Command {
  const command = new Command('reproduce')
    .description("train the six configurations of the paper's table and compare with its accuracy figures")
    .option('--epochs <n>', 'cap every row at N epochs (a quick run; the report says so)', positiveInteger)
    .option('--rows <list>', "rows of the paper's table to run, e.g. 1,5 (default all six)", integerList)
    .option('--out <dir>', 'directory for report.md, report.json and accuracy.svg', pathValue, 'reproduce-out')
    .option('--json', 'print the report as one JSON object on stdout', false)
    .option('--data <dir>', 'directory with the four IDX files or the two CSV files', pathValue)
    .option('--seed <n>', 'seed of the initialisation and the shuffle', nonNegativeInteger, 0)
    .option('--limit <n>', 'train on the first N training images (the report says so)', positiveInteger)
    .option('--batch-size <n>', "override every row's batch size", positiveInteger)
    .option('--lr <rate>', "override every row's learning rate", positiveNumber)
    .option('--optimizer <name>', `override every row's optimizer: ${OPTIMIZERS.join(', ')}`, oneOf(OPTIMIZERS))
    .addOption(new Option('--activation <name>', 'override the hidden activation of the Keras rows').choices(['sigmoid', 'relu']))
    .option('--filters <n>', "override the CNN rows' convolution filters", positiveInteger)
    .option('--kernel-size <n>', "override the CNN rows' kernel size", positiveInteger)
    .option(
      '--jobs <n>',
      'rows trained side by side, each in its own process, longest first; --threads is then per row (default: cores / jobs)',
      positiveInteger,
      1,
    );
  return withCoreOptions(command).action(async (flags: ReproduceFlags) => {
    const wanted = flags.rows ?? PAPER_ROWS.map((r) => r.row);
    const unknown = wanted.filter((n) => !PAPER_ROWS.some((r) => r.row === n));
    if (unknown.length > 0)
      throw new ArgumentError('--rows', `the paper's table has rows 1 to ${PAPER_ROWS.length}, got ${unknown.join(', ')}`);
    const rows = PAPER_ROWS.filter((r) => wanted.includes(r.row));
    checkOptionsApply(
      { activation: flags.activation, filters: flags.filters, kernelSize: flags.kernelSize },
      rows.map((r) => r.config.architecture),
      `rows ${rows.map((r) => `${r.row} (${r.config.architecture})`).join(', ')}`,
    );
    try {
      await mkdir(flags.out, { recursive: true });
    } catch (error) {
      throw new ArgumentError('--out', `cannot create ${flags.out}: ${(error as Error).message}`);
    }
    const data = await loadData(flags.data, flags.json);
    const report: ReproduceReport = {
      started: new Date().toISOString(),
      command: `fmnist ${process.argv.slice(2).join(' ')}`,
      epochCap: flags.epochs ?? null,
      trainImages: Math.min(flags.limit ?? data.train.count, data.train.count),
      testImages: data.test.count,
      seed: flags.seed,
      rows: [],
      totalSeconds: 0,
    };
    const started = performance.now();
    const finishRow = async (result: RowResult) => {
      report.rows.push(result);
      report.rows.sort((a, b) => a.row - b.row);
      report.totalSeconds = (performance.now() - started) / 1000;
      await writeReport(flags.out, report);
    };
    const jobs = Math.min(flags.jobs, rows.length);
    if (jobs > 1) {
      const threads = flags.threads ?? Math.max(1, Math.floor(availableParallelism() / jobs));
      report.jobs = jobs;
      const say = (text: string) => {
        if (!flags.json) process.stderr.write(`${text}\n`);
      };
      say(`${rows.length} rows, ${jobs} side by side in their own processes, ${threads} thread${threads === 1 ? '' : 's'} each`);
      await runRowsSideBySide(rows, {
        jobs,
        flags: childFlags(flags, threads),
        cost: (row) => {
          const config = effectiveConfig(row, flags);
          return config.epochs * forwardMacsPerImage(rowSettings(config));
        },
        onStart: (row) => say(`row ${row.row}: started (${((performance.now() - started) / 60000).toFixed(1)} min)`),
        onRow: async (result, child) => {
          report.threads = child.threads;
          report.simd = child.simd;
          await finishRow(result);
          say(
            `row ${result.row}: ${(result.accuracy * 100).toFixed(2)}% (paper ${(result.paperAccuracy * 100).toFixed(1)}%), ` +
              `done at ${(report.totalSeconds / 60).toFixed(1)} min`,
          );
        },
      });
    } else {
      for (const row of rows) {
        const config = effectiveConfig(row, flags);
        const perEpoch: number[] = [];
        const result = await trainAndEvaluate(config, data, {
          callbacks: progressCallbacks({
            label: `row ${row.row} [${config.threads} thread${config.threads === 1 ? '' : 's'}]`,
            epochs: config.epochs,
            batches: Math.ceil(report.trainImages / config.batchSize),
            json: flags.json,
            onEpochEnd: (_epoch, logs) => void perEpoch.push(logs.valAccuracy ?? Number.NaN),
          }),
        });
        report.threads = result.model.core.threads;
        report.simd = result.model.core.simd;
        const evaluation = cliEvaluation(result.evaluation);
        await finishRow({
          row: row.row,
          label: row.label,
          settings: rowSettings(config),
          paperEpochs: row.config.epochs,
          epochsRun: config.epochs,
          paperAccuracy: row.paperAccuracy,
          accuracy: evaluation.testAccuracy,
          differencePoints: (evaluation.testAccuracy - row.paperAccuracy) * 100,
          testLoss: evaluation.testLoss,
          secondsPerEpoch: result.secondsPerEpoch,
          testAccuracyPerEpoch: perEpoch,
          perClass: evaluation.perClass,
          reportText: evaluation.reportText,
          noteWhenAbove: row.noteWhenAbove,
        });
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      process.stdout.write(`${formatReproduceMarkdown(report)}\nwritten to ${join(flags.out, 'report.md')}, report.json, accuracy.svg\n`);
  });
}

/** The run's flags for a child that trains one row (`--rows`, `--json` and `--out` come first). */
function childFlags(flags: ReproduceFlags, threads: number): string[] {
  const pairs: [string, string | number | undefined][] = [
    ['--epochs', flags.epochs],
    ['--data', flags.data],
    ['--seed', flags.seed],
    ['--limit', flags.limit],
    ['--batch-size', flags.batchSize],
    ['--lr', flags.lr],
    ['--optimizer', flags.optimizer],
    ['--activation', flags.activation],
    ['--filters', flags.filters],
    ['--kernel-size', flags.kernelSize],
    ['--threads', threads],
    ['--simd', flags.simd],
  ];
  return pairs.flatMap(([name, value]) => (value === undefined ? [] : [name, String(value)]));
}

async function writeReport(out: string, report: ReproduceReport): Promise<void> {
  const svg = await accuracyChartSvg(
    report.rows.flatMap((r) =>
      r.testAccuracyPerEpoch.map((testAccuracy, epoch) => ({ row: `row ${r.row}`, epoch: epoch + 1, testAccuracy })),
    ),
    report.rows.map((r) => ({ row: `row ${r.row}`, accuracy: r.paperAccuracy })),
  );
  await writeFileAtomic(join(out, 'accuracy.svg'), svg);
  await writeFileAtomic(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(join(out, 'report.md'), formatReproduceMarkdown(report));
}
