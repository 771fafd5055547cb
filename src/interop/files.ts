/** A file of an exported model (or of one to import), as bytes so it works the same in browsers and Node. */
export interface ModelFile {
  /**
   * File name, e.g. `model.json`, `model.weights.bin`, `model.onnx`. A path is accepted on import:
   * weight files are matched to the manifest by their last path segment.
   */
  name: string;
  bytes: Uint8Array;
}
