/** The reproduce report: plain data for JSON, and its Markdown rendering. */
import type { ClassMetrics } from '../metrics/report.js';
import type { TrainingConfig } from '../models/training.js';
import { resolveOptimizer, type OptimizerName } from '../train/optimizers.js';
import { READINGS } from './presets.js';

/** A row's settings as report.json records them (flat, for readers of the report). */
export interface RowSettings {
  architecture: TrainingConfig['architecture'];
  /** Dense hidden layer sizes. */
  hidden: number[];
  activation: 'sigmoid' | 'relu';
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer: OptimizerName;
  /** Loss reduction over the batch: the from-scratch net sums (Figure 13), Keras averages. */
  reduction: 'sum' | 'mean';
  /** Convolution filters and kernel size (cnn only). */
  filters?: number;
  kernelSize?: number;
}

/** The report's view of a row's training configuration. */
export function rowSettings(config: Omit<TrainingConfig, 'seed'>): RowSettings {
  const options = config.architectureOptions ?? {};
  const hidden = options.hidden;
  const filters = options.filters;
  return {
    architecture: config.architecture,
    hidden: hidden === undefined ? [] : typeof hidden === 'number' ? [hidden] : [...hidden],
    activation: config.architecture === 'scratch-mlp' ? 'sigmoid' : (options.activation ?? 'relu'),
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: resolveOptimizer(config.optimizer).learningRate,
    optimizer: config.optimizer.type,
    reduction: config.reduction,
    ...(config.architecture === 'cnn'
      ? { filters: typeof filters === 'number' ? filters : (filters?.[0] ?? 32), kernelSize: options.kernelSize ?? 3 }
      : {}),
  };
}

/**
 * Multiply-adds per training image of a row's forward pass ('valid' convolution, 2x2 pooling, as the
 * paper's rows): what orders the rows when they run side by side (longest first).
 */
export function forwardMacsPerImage(s: RowSettings): number {
  const dense = (inputs: number) =>
    [inputs, ...s.hidden, 10].reduce((macs, units, i, sizes) => macs + (i > 0 ? sizes[i - 1]! * units : 0), 0);
  if (s.architecture !== 'cnn') return dense(784);
  const kernel = s.kernelSize ?? 3;
  const filters = s.filters ?? 32;
  const out = 28 - kernel + 1;
  const pooled = Math.floor(out / 2);
  return out * out * kernel * kernel * filters + dense(pooled * pooled * filters);
}

export interface RowResult {
  row: number;
  label: string;
  /** The settings actually used (the paper's, with any override or epoch cap). */
  settings: RowSettings;
  paperEpochs: number;
  epochsRun: number;
  paperAccuracy: number;
  accuracy: number;
  /** (ours − paper) in percentage points. */
  differencePoints: number;
  testLoss: number;
  secondsPerEpoch: number;
  testAccuracyPerEpoch: number[];
  perClass: ClassMetrics[];
  reportText: string;
  /** Why the paper's figure is likely lower, shown when ours is above it. */
  noteWhenAbove?: string;
}

export interface ReproduceReport {
  started: string;
  command: string;
  /** --epochs, when the run was capped. */
  epochCap: number | null;
  trainImages: number;
  testImages: number;
  seed: number;
  rows: RowResult[];
  /** Wall-clock seconds of the whole run so far. */
  totalSeconds: number;
  /** Threads and SIMD build the rows trained with (absent in reports written before threads). */
  threads?: number;
  /** Rows trained side by side, each in its own process (`--jobs`; absent: one after another). */
  jobs?: number;
  simd?: 'strict' | 'relaxed';
}

const percent = (x: number, digits = 1) => `${(x * 100).toFixed(digits)}%`;

function describeSettings(s: RowSettings): string {
  const layers =
    s.architecture === 'cnn'
      ? `conv ${s.filters}x${s.kernelSize}x${s.kernelSize} → pool 2 → ${s.hidden.join('-')}`
      : `784-${s.hidden.join('-')}-10`;
  return `${s.architecture} ${layers}, ${s.activation}, ${s.optimizer} lr ${s.learningRate}, batch ${s.batchSize}, ${s.reduction} loss`;
}

/** The first epoch whose test accuracy matched the paper's final figure. */
function reachedAt(r: RowResult): string {
  const epoch = r.testAccuracyPerEpoch.findIndex((accuracy) => accuracy >= r.paperAccuracy);
  return epoch < 0 ? 'not reached' : `epoch ${epoch + 1}`;
}

export function formatReproduceMarkdown(report: ReproduceReport): string {
  const lines: string[] = [];
  lines.push("# The paper's accuracy table, reproduced", '');
  lines.push(
    `Command: \`${report.command}\`, seed ${report.seed}, ${report.trainImages} training and ${report.testImages} test images, ` +
      `${(report.totalSeconds / 60).toFixed(1)} minutes of wall-clock time in all` +
      (report.threads === undefined
        ? '.'
        : `, ${report.threads} thread${report.threads === 1 ? '' : 's'} per row, ${report.simd ?? 'strict'} SIMD` +
          ((report.jobs ?? 1) > 1 ? `, ${report.jobs} rows side by side in their own processes.` : ', one row after another.')),
    '',
  );
  if (report.epochCap !== null) {
    lines.push(
      `**Quick run: every row capped at ${report.epochCap} epochs** (the paper ran 100-500); the accuracies are not the paper's setting.`,
      '',
    );
  }
  if (report.trainImages < 60000) lines.push(`**Trained on the first ${report.trainImages} training images only.**`, '');
  lines.push("| Row | Configuration (ours) | Paper | Ours | Δ (points) | Epochs (ours / paper) | Paper's figure first reached | s/epoch |");
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const r of report.rows) {
    const sign = r.differencePoints >= 0 ? '+' : '−';
    lines.push(
      `| ${r.row} | ${describeSettings(r.settings)} | ${percent(r.paperAccuracy)} | ${percent(r.accuracy, 2)} | ` +
        `${sign}${Math.abs(r.differencePoints).toFixed(2)} | ${r.epochsRun} / ${r.paperEpochs} | ${reachedAt(r)} | ${r.secondsPerEpoch.toFixed(2)} |`,
    );
  }
  lines.push('', '![test accuracy per epoch](accuracy.svg)', '');
  const above = report.rows.filter((r) => r.differencePoints > 0 && r.noteWhenAbove !== undefined);
  if (above.length > 0) {
    lines.push('## Where ours is above the paper', '');
    for (const r of above) lines.push(`- Row ${r.row}: ${r.noteWhenAbove}`);
    lines.push('');
  }
  lines.push('## How the paper was read', '', ...READINGS.map((reading) => `- ${reading}`), '');
  lines.push('## Classification reports (test set)', '');
  for (const r of report.rows) {
    lines.push(`### Row ${r.row}: ${r.label}`, '', '```', r.reportText, '```', '');
  }
  return lines.join('\n');
}
