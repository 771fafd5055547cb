/** Confusion matrix, scikit-learn's orientation: rows are true classes, columns predicted classes. */
import { NUM_CLASSES } from '../data/classes.js';

function checkClass(values: ArrayLike<number>, i: number, name: string, classes: number): number {
  const value = values[i]!;
  if (!Number.isInteger(value) || value < 0 || value >= classes) {
    throw new RangeError(`confusionMatrix: ${name}[${i}] is ${value}, outside 0..${classes - 1}`);
  }
  return value;
}

/**
 * Counts `matrix[true][predicted]` over the examples.
 *
 * @param predicted predicted class per example, `[n]`, each in 0..classes-1
 * @param labels true class per example, `[n]`, each in 0..classes-1
 * @param classes number of classes (default 10)
 * @returns `classes` rows of `classes` counts; row sums are the supports
 * @throws RangeError when the lengths differ, `classes` is not a positive integer, or a value is out of range
 */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>, classes: number = NUM_CLASSES): number[][] {
  if (predicted.length !== labels.length) {
    throw new RangeError(`confusionMatrix: predicted has ${predicted.length} entries but labels has ${labels.length}`);
  }
  if (!Number.isInteger(classes) || classes < 1) {
    throw new RangeError(`confusionMatrix: classes must be a positive integer, got ${classes}`);
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    matrix[checkClass(labels, i, 'labels', classes)]![checkClass(predicted, i, 'predicted', classes)]!++;
  }
  return matrix;
}
