import { describe, expect, it } from 'vitest';
import { CLASS_NAMES } from '../../src/data/classes.js';
import { classificationReport, confusionMatrix, formatClassificationReport, formatFixed } from '../../src/metrics/index.js';

// scikit-learn's documented example of classification_report:
//   y_true = [0, 1, 2, 2, 2]; y_pred = [0, 0, 2, 2, 1]; target_names = ['class 0', 'class 1', 'class 2']
const docConfusion = confusionMatrix([0, 0, 2, 2, 1], [0, 1, 2, 2, 2], 3);
const docNames = ['class 0', 'class 1', 'class 2'];

describe('classificationReport', () => {
  it("matches scikit-learn's documented example", () => {
    const report = classificationReport(docConfusion, docNames);
    expect(report.perClass.map((m) => m.name)).toEqual(docNames);
    const rounded = (x: number): number => Math.round(x * 100) / 100;
    expect(report.perClass.map((m) => [m.precision, m.recall, rounded(m.f1), m.support])).toEqual([
      [0.5, 1, 0.67, 1],
      [0, 0, 0, 1],
      [1, 2 / 3, 0.8, 3],
    ]);
    expect(report.accuracy).toBe(0.6);
    expect(report.total).toBe(5);
    expect(report.macroAvg.precision).toBeCloseTo(0.5, 12);
    expect(report.macroAvg.recall).toBeCloseTo(5 / 9, 12);
    expect(report.macroAvg.f1).toBeCloseTo((2 / 3 + 0 + 0.8) / 3, 12); // 0.4889
    expect(report.weightedAvg.precision).toBeCloseTo(0.7, 12);
    expect(report.weightedAvg.recall).toBeCloseTo(0.6, 12);
    expect(report.weightedAvg.f1).toBeCloseTo((2 / 3 + 3 * 0.8) / 5, 12); // 0.6133
    expect(report.weightedAvg.support).toBe(5);
  });

  it("matches scikit-learn's precision_recall_fscore_support example (cat, dog, pig)", () => {
    // y_true = [cat, dog, pig, cat, dog, pig]; y_pred = [cat, pig, dog, cat, cat, dog]
    // sklearn: macro (0.22, 0.33, 0.26), weighted (0.22, 0.33, 0.26)
    const report = classificationReport(confusionMatrix([0, 2, 1, 0, 0, 1], [0, 1, 2, 0, 1, 2], 3), ['cat', 'dog', 'pig']);
    expect(report.macroAvg.precision).toBeCloseTo(2 / 9, 12);
    expect(report.macroAvg.recall).toBeCloseTo(1 / 3, 12);
    expect(report.macroAvg.f1).toBeCloseTo(0.8 / 3, 12);
    expect(report.weightedAvg.precision).toBeCloseTo(2 / 9, 12);
    expect(report.weightedAvg.f1).toBeCloseTo(0.8 / 3, 12);
    expect(report.accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('gives 0, not NaN, for a class never predicted or never present', () => {
    // class 1 never predicted; class 2 never present
    const report = classificationReport([
      [3, 0, 1],
      [2, 0, 0],
      [0, 0, 0],
    ]);
    expect(report.perClass[1]).toEqual({ label: 1, name: '1', precision: 0, recall: 0, f1: 0, support: 2 });
    expect(report.perClass[2]).toEqual({ label: 2, name: '2', precision: 0, recall: 0, f1: 0, support: 0 });
    expect(report.perClass[0]!.precision).toBeCloseTo(3 / 5, 12);
    expect(report.perClass[0]!.recall).toBeCloseTo(3 / 4, 12);
    const empty = classificationReport([
      [0, 0],
      [0, 0],
    ]);
    expect(empty.accuracy).toBe(0);
    expect(empty.weightedAvg).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('names 10 classes after Fashion-MNIST by default', () => {
    const report = classificationReport(confusionMatrix([0, 1], [0, 1]));
    expect(report.perClass.map((m) => m.name)).toEqual(CLASS_NAMES);
  });

  it('throws a RangeError for a matrix that is not square counts, or wrong names', () => {
    expect(() => classificationReport([])).toThrow(RangeError);
    expect(() => classificationReport([[1, 2], [3]])).toThrow('classificationReport: confusion row 1 has 1 entries, expected 2');
    expect(() =>
      classificationReport([
        [1, -2],
        [3, 4],
      ]),
    ).toThrow('confusion[0][1] is -2');
    expect(() => classificationReport([[1.5]])).toThrow(RangeError);
    expect(() => classificationReport([[1]], ['a', 'b'])).toThrow('classNames has 2 names, expected 1');
  });
});

describe('formatClassificationReport', () => {
  it("prints scikit-learn's current layout exactly", () => {
    const text = formatClassificationReport(classificationReport(docConfusion, docNames), { layout: 'sklearn' });
    expect(text).toBe(
      [
        '              precision    recall  f1-score   support',
        '',
        '     class 0       0.50      1.00      0.67         1',
        '     class 1       0.00      0.00      0.00         1',
        '     class 2       1.00      0.67      0.80         3',
        '',
        '    accuracy                           0.60         5',
        '   macro avg       0.50      0.56      0.49         5',
        'weighted avg       0.70      0.60      0.61         5',
        '',
      ].join('\n'),
    );
  });

  it("prints the paper's layout (scikit-learn 0.19) exactly", () => {
    const text = formatClassificationReport(classificationReport(docConfusion, docNames));
    expect(text).toBe(
      [
        '             precision    recall  f1-score   support',
        '',
        '    class 0       0.50      1.00      0.67         1',
        '    class 1       0.00      0.00      0.00         1',
        '    class 2       1.00      0.67      0.80         3',
        '',
        'avg / total       0.70      0.60      0.61         5',
        '',
      ].join('\n'),
    );
  });

  it('prints a 10-class table like the paper (hand-computed)', () => {
    // 1000 per class, all right except 250 shirts (6) predicted as T-shirt/top (0):
    // class 0: P = 1000/1250 = 0.80, R = 1, F1 = 0.889; class 6: P = 1, R = 0.75, F1 = 0.857;
    // avg / total: P = 0.98, R = 0.975 (the double just below, so 0.97), F1 = 0.9746.
    const m: number[][] = Array.from({ length: 10 }, (_, i) => Array.from({ length: 10 }, (_, j) => (i === j ? 1000 : 0)));
    m[6]![6] = 750;
    m[6]![0] = 250;
    const names = Array.from({ length: 10 }, (_, i) => String(i));
    const lines = formatClassificationReport(classificationReport(m, names)).split('\n');
    expect(lines[0]).toBe('             precision    recall  f1-score   support');
    expect(lines[2]).toBe('          0       0.80      1.00      0.89      1000');
    expect(lines[3]).toBe('          1       1.00      1.00      1.00      1000');
    expect(lines[8]).toBe('          6       1.00      0.75      0.86      1000');
    expect(lines[13]).toBe('avg / total       0.98      0.97      0.97     10000');
    expect(lines).toHaveLength(15);
    const named = formatClassificationReport(classificationReport(m), { digits: 3 }).split('\n');
    expect(named[2]).toBe('T-shirt/top      0.800     1.000     0.889      1000');
    expect(named[11]).toBe(' Ankle boot      1.000     1.000     1.000      1000');
  });
});

describe('formatFixed', () => {
  it("rounds exact ties to even as Python's format does, the rest as toFixed", () => {
    expect(['0.125', '0.375', '0.625', '0.875'].map((s) => formatFixed(Number(s), 2))).toEqual(['0.12', '0.38', '0.62', '0.88']);
    expect([0.5, 1.5, 2.5].map((x) => formatFixed(x, 0))).toEqual(['0', '2', '2']);
    expect(formatFixed(0.0625, 3)).toBe('0.062');
    expect(formatFixed(0.975, 2)).toBe('0.97'); // not a tie: the double is below 0.975
    expect(formatFixed(0.285, 2)).toBe('0.28');
    expect(formatFixed(2 / 3, 2)).toBe('0.67');
    expect(formatFixed(1, 2)).toBe('1.00');
    expect(formatFixed(0, 2)).toBe('0.00');
  });
});
