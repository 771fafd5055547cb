/** Classification accuracy. */

/**
 * The fraction of positions where `predicted[i] === labels[i]`, in 0..1.
 *
 * @param predicted predicted class per example, `[n]`
 * @param labels true class per example, `[n]`
 * @throws RangeError when the lengths differ or are zero
 */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new RangeError(`accuracy: predicted has ${predicted.length} entries but labels has ${labels.length}`);
  }
  if (labels.length === 0) throw new RangeError('accuracy: predicted and labels are empty');
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}
