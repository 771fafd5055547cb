/** Metrics: accuracy, confusion matrix, and the classification report in the paper's layout. */
export { accuracy } from './accuracy.js';
export { confusionMatrix } from './confusion.js';
export {
  classificationReport,
  formatClassificationReport,
  formatFixed,
  type AverageMetrics,
  type ClassificationReport,
  type ClassMetrics,
  type FormatOptions,
} from './report.js';
