/**
 * The six rows of the paper's accuracy table (section 5.2) as training presets, with the reading
 * we chose where the paper is ambiguous (READINGS, which the report and the README repeat). Every
 * setting can be overridden from `fmnist reproduce`.
 */
import type { ArchitectureName } from '../models/architectures.js';
import type { TrainingConfig } from '../models/training.js';

export const READINGS: readonly string[] = [
  '"Batches: 15" is the mini-batch size (15 images per step), as Keras\' `batch_size`, not 15 batches per epoch: ' +
    'rows 5-6 are Keras models, whose only batch setting is `batch_size`, and the from-scratch rows use the same word.',
  '"Learning Rate: 10e-4" is read as the Python literal it is written as: 10e-4 = 1e-3 (likewise 10e-5 = 1e-4, ' +
    '10e-2 = 0.1). The other reading, "10 to the -4", is one `--lr` away.',
  "The Keras rows name no optimizer: a learning rate and nothing else reads as plain SGD (Keras' " +
    '`SGD(learning_rate=...)`, no momentum).',
  'The Keras MLP rows (3-4) give no batch size: we use 15, the size the paper states for all four other rows. ' +
    "Keras' default, 32, is one `--batch-size 32` away; measured with it (seed 0, 200 epochs): row 3 88.16%, " +
    'row 4 78.24% (3.6 points under the paper: half the updates of batch 15 at lr 1e-3 leave the sigmoid network short).',
  'Activations: section 4.1 says sigmoid is "applied to all the layers but the final output layer", so every hidden ' +
    'layer (dense and convolution) is sigmoid and the output is softmax. Keras layers keep their biases and Glorot-uniform kernels.',
  'The from-scratch rows follow Figures 12-13 exactly: 784-300-10, no biases, the gradient summed over the batch ' +
    '(not averaged), `w -= alpha * dW`.',
  "The CNN's convolution is not described: 32 filters of 3x3, 'valid' padding, then 2x2 max-pooling (the common Keras " +
    'Fashion-MNIST example). "Hidden Layer Nodes: 200,100,50" are the dense layers after Flatten.',
];

export interface PaperRow {
  /** 1-based, in the paper's order. */
  row: number;
  /** The paper's own description of the row. */
  label: string;
  /** Test accuracy the paper reports, 0..1. */
  paperAccuracy: number;
  /** The paper's settings (the seed is the run's). */
  config: Omit<TrainingConfig, 'seed'> & { architecture: ArchitectureName };
  /** Why the paper's figure is likely lower than ours, shown in the report when ours is above it. */
  noteWhenAbove?: string;
}

const SCRATCH_NOTE =
  "The paper's from-scratch code (Figures 12-13) shows neither its initialisation nor its data order. " +
  "Ours draws N(0, 1/fan_in) and reshuffles every epoch; the usual from-scratch N(0, 1) (numpy's randn) starts most " +
  'sigmoid units saturated and learns slowly, and an unshuffled order repeats the same batches every epoch. Our curve ' +
  "passes the paper's figure early and keeps rising, which fits a slower-learning setup rather than a lower ceiling.";

const KERAS_MLP_NOTE =
  "With the stated settings our network passes the paper's figure early (see the table) and keeps " +
  'improving. The paper gives the learning rate alone; an optimizer or loss scale other than plain SGD on the mean loss, ' +
  'fewer effective updates (a smaller training subset or larger batches), or an earlier checkpoint would all land lower, ' +
  'and its per-class table (Shirt F1 0.54, Coat 0.63) looks like an early point of our curve.';

const CNN_NOTE =
  'The paper does not describe its convolution (filters, kernel size, stride, activation) or its ' +
  'initialisation; ours is 32 filters of 3x3 with sigmoid, as read from section 4.1. A smaller convolution or one that ' +
  "learns more slowly (sigmoid with a poor initialisation) would land lower; ours passes the paper's figure early and " +
  'then mostly overfits the training set.';

export const PAPER_ROWS: readonly PaperRow[] = [
  {
    row: 1,
    label: 'Neural Networks From Scratch: Epocs:500, Learning Rate : 10e-4, Batches : 15, Hidden Layer Nodes : 300',
    paperAccuracy: 0.87,
    config: {
      architecture: 'scratch-mlp',
      architectureOptions: { hidden: [300] },
      optimizer: { type: 'sgd', learningRate: 10e-4 },
      reduction: 'sum',
      epochs: 500,
      batchSize: 15,
    },
    noteWhenAbove: SCRATCH_NOTE,
  },
  {
    row: 2,
    label: 'Neural Networks From Scratch: Epocs:100, Learning Rate : 10e-5, Batches : 15, Hidden Layer Nodes : 300',
    paperAccuracy: 0.82,
    config: {
      architecture: 'scratch-mlp',
      architectureOptions: { hidden: [300] },
      optimizer: { type: 'sgd', learningRate: 10e-5 },
      reduction: 'sum',
      epochs: 100,
      batchSize: 15,
    },
    noteWhenAbove: SCRATCH_NOTE,
  },
  {
    row: 3,
    label: 'Neural Networks Keras : Epocs:200, Learning Rate : 10e-2, Hidden Layer Nodes : 300,200,75',
    paperAccuracy: 0.812,
    config: {
      architecture: 'mlp',
      architectureOptions: { hidden: [300, 200, 75], activation: 'sigmoid' },
      optimizer: { type: 'sgd', learningRate: 10e-2 },
      reduction: 'mean',
      epochs: 200,
      batchSize: 15,
    },
    noteWhenAbove: KERAS_MLP_NOTE,
  },
  {
    row: 4,
    label: 'Neural Networks Keras : Epocs:200, Learning Rate : 10e-4, Hidden Layer Nodes : 200,100,50',
    paperAccuracy: 0.818,
    config: {
      architecture: 'mlp',
      architectureOptions: { hidden: [200, 100, 50], activation: 'sigmoid' },
      optimizer: { type: 'sgd', learningRate: 10e-4 },
      reduction: 'mean',
      epochs: 200,
      batchSize: 15,
    },
    noteWhenAbove: KERAS_MLP_NOTE,
  },
  {
    row: 5,
    label: 'Convolutional Neural Networks Keras : Epocs:200, Learning Rate : 10e-2, Batches : 15, Hidden Layer Nodes : 200,100,50',
    paperAccuracy: 0.891,
    config: {
      architecture: 'cnn',
      architectureOptions: { hidden: [200, 100, 50], activation: 'sigmoid', filters: 32, kernelSize: 3 },
      optimizer: { type: 'sgd', learningRate: 10e-2 },
      reduction: 'mean',
      epochs: 200,
      batchSize: 15,
    },
    noteWhenAbove: CNN_NOTE,
  },
  {
    row: 6,
    label: 'Convolutional Neural Networks Keras : Epocs:200, Learning Rate : 10e-2, Batches : 15, Hidden Layer Nodes : 200,300',
    paperAccuracy: 0.88,
    config: {
      architecture: 'cnn',
      architectureOptions: { hidden: [200, 300], activation: 'sigmoid', filters: 32, kernelSize: 3 },
      optimizer: { type: 'sgd', learningRate: 10e-2 },
      reduction: 'mean',
      epochs: 200,
      batchSize: 15,
    },
    noteWhenAbove: CNN_NOTE,
  },
];
