/**
 * Per-class precision, recall, F1 and support from a confusion matrix, as scikit-learn's
 * `classification_report` computes them (zero_division=0: a class never predicted has precision 0,
 * a class never present has recall 0, and F1 is 0 when precision + recall is 0), and the text
 * table of the paper (scikit-learn <= 0.21, closing with the support-weighted "avg / total" line)
 * or of current scikit-learn (accuracy, macro avg, weighted avg).
 */
import { CLASS_NAMES } from '../data/classes.js';

/** Metrics of one class. */
export interface ClassMetrics {
  /** Class index (the label). */
  label: number;
  name: string;
  /** TP / (TP + FP); 0 when the class is never predicted. */
  precision: number;
  /** TP / (TP + FN); 0 when the class never occurs. */
  recall: number;
  /** 2PR / (P + R); 0 when P + R = 0. */
  f1: number;
  /** Number of true examples of the class (row sum). */
  support: number;
}

/** An average over the classes. */
export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Total number of examples. */
  support: number;
}

/** What `classificationReport` returns; plain data, ready for JSON. */
export interface ClassificationReport {
  perClass: ClassMetrics[];
  /** Trace / total, 0..1 (0 for an empty matrix). */
  accuracy: number;
  /** Unweighted mean over the classes (every class counts, also those with support 0). */
  macroAvg: AverageMetrics;
  /** Mean weighted by support: the paper's "avg / total" line. */
  weightedAvg: AverageMetrics;
  /** Number of examples (sum of the matrix). */
  total: number;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * Computes the report from a confusion matrix (rows = true class, columns = predicted class, as
 * `confusionMatrix` returns).
 *
 * @param confusion square matrix of non-negative integer counts
 * @param classNames one name per class; default the Fashion-MNIST names for 10 classes, else "0", "1", ...
 * @throws RangeError when the matrix is empty, not square, holds a negative or non-integer count,
 *   or `classNames` has the wrong length
 */
export function classificationReport(confusion: readonly (readonly number[])[], classNames?: readonly string[]): ClassificationReport {
  const n = confusion.length;
  if (n === 0) throw new RangeError('classificationReport: confusion matrix is empty');
  for (const [i, row] of confusion.entries()) {
    if (row.length !== n) throw new RangeError(`classificationReport: confusion row ${i} has ${row.length} entries, expected ${n}`);
    for (const [j, v] of row.entries()) {
      if (!Number.isInteger(v) || v < 0) {
        throw new RangeError(`classificationReport: confusion[${i}][${j}] is ${v}, expected a non-negative integer count`);
      }
    }
  }
  const names = classNames ?? (n === CLASS_NAMES.length ? CLASS_NAMES : Array.from({ length: n }, (_, i) => String(i)));
  if (names.length !== n) throw new RangeError(`classificationReport: classNames has ${names.length} names, expected ${n}`);

  let total = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < n; c++) {
    let support = 0; // row sum: TP + FN
    let predicted = 0; // column sum: TP + FP
    for (let k = 0; k < n; k++) {
      support += confusion[c]![k]!;
      predicted += confusion[k]![c]!;
    }
    const tp = confusion[c]![c]!;
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    perClass.push({ label: c, name: names[c]!, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support });
    total += support;
    correct += tp;
  }
  const average = (weight: (m: ClassMetrics) => number): AverageMetrics => {
    let sumWeights = 0;
    const sum = { precision: 0, recall: 0, f1: 0 };
    for (const m of perClass) {
      const w = weight(m);
      sumWeights += w;
      sum.precision += w * m.precision;
      sum.recall += w * m.recall;
      sum.f1 += w * m.f1;
    }
    return {
      precision: ratio(sum.precision, sumWeights),
      recall: ratio(sum.recall, sumWeights),
      f1: ratio(sum.f1, sumWeights),
      support: total,
    };
  };
  return {
    perClass,
    accuracy: ratio(correct, total),
    macroAvg: average(() => 1),
    weightedAvg: average((m) => m.support),
    total,
  };
}

/**
 * `value.toFixed(digits)` with Python's rounding: an exact tie (representable only when
 * value·2^(digits+1) is an odd integer, e.g. 0.125) goes to the even digit, so the table matches
 * scikit-learn's digit for digit (JS would print 0.125 as 0.13, Python as 0.12).
 */
export function formatFixed(value: number, digits: number): string {
  const doubled = value * 2 ** (digits + 1); // exact: a power-of-two scaling
  if (Number.isInteger(doubled) && Math.abs(doubled) % 2 === 1) {
    const scaled = Math.floor(value * 10 ** digits); // the tie sits between scaled and scaled + 1
    const even = scaled % 2 === 0 ? scaled : scaled + 1;
    return (even / 10 ** digits).toFixed(digits);
  }
  return value.toFixed(digits);
}

export interface FormatOptions {
  /** Digits after the decimal point; default 2 (scikit-learn's and the paper's). */
  digits?: number;
  /**
   * 'paper' (default): per-class rows then "avg / total" (support-weighted), as scikit-learn <= 0.21
   * printed it and the paper shows it. 'sklearn': per-class rows then "accuracy", "macro avg",
   * "weighted avg", as current scikit-learn prints it.
   */
  layout?: 'paper' | 'sklearn';
}

/**
 * The report as a text table, column for column scikit-learn's `classification_report` output
 * (right-aligned names, then precision, recall, f1-score, support in 9-wide columns).
 */
export function formatClassificationReport(report: ClassificationReport, options: FormatOptions = {}): string {
  const digits = options.digits ?? 2;
  const layout = options.layout ?? 'paper';
  const lastHeading = layout === 'paper' ? 'avg / total' : 'weighted avg';
  const width = Math.max(...report.perClass.map((m) => m.name.length), lastHeading.length, digits);
  const cell = (s: string): string => ` ${s.padStart(9)}`;
  const row = (heading: string, m: { precision: number; recall: number; f1: number; support: number }): string =>
    `${heading.padStart(width)} ` +
    cell(formatFixed(m.precision, digits)) +
    cell(formatFixed(m.recall, digits)) +
    cell(formatFixed(m.f1, digits)) +
    cell(String(m.support)) +
    '\n';

  let text = `${''.padStart(width)} ${['precision', 'recall', 'f1-score', 'support'].map(cell).join('')}\n\n`;
  for (const m of report.perClass) text += row(m.name, m);
  text += '\n';
  if (layout === 'paper') {
    text += row(lastHeading, report.weightedAvg);
  } else {
    text += `${'accuracy'.padStart(width)} ${cell('')}${cell('')}${cell(formatFixed(report.accuracy, digits))}${cell(String(report.total))}\n`;
    text += row('macro avg', report.macroAvg);
    text += row('weighted avg', report.weightedAvg);
  }
  return text;
}
