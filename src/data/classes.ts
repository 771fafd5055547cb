/** Fashion-MNIST constants: image geometry and the ten classes in label order (the paper's Figure 1). */

/** Image height in pixels. */
export const IMAGE_ROWS = 28;
/** Image width in pixels. */
export const IMAGE_COLS = 28;
/** Pixels per image (28 x 28). */
export const IMAGE_PIXELS = IMAGE_ROWS * IMAGE_COLS;
/** Number of classes; labels are 0..9. */
export const NUM_CLASSES = 10;

/** Class names indexed by label 0..9. */
export const CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/**
 * Labelled images, as every reader returns a split of the dataset and as `fit`, `evaluate` and
 * `predict` take them: `images` is `count` images of `rows x cols` u8 pixels, row-major, image after
 * image (Fashion-MNIST's `[count, 28, 28]`, 0 = background); `labels[i]` is the class of image i.
 */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** The four official IDX file names; each may also exist with a `.gz` suffix. */
export const IDX_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});

/** The paper's CSV file names (785 columns, label first). */
export const CSV_FILES = Object.freeze({
  train: 'fashion-mnist_train.csv',
  test: 'fashion-mnist_test.csv',
});
