// A Node worker thread hosting one runner of the inference benchmark (bench/infer-runner.ts): the
// setup arrives as the first message, then timing requests; bench/infer.bench.ts starts one per
// implementation and thread count, so each has its own runtime instance (onnxruntime-web fixes its
// thread count when its first session is made) and only one works at a time.
import { parentPort } from 'node:worker_threads';
import { serveRunner, type RunnerReply } from './infer-runner.js';

const port = parentPort!;
const handle = serveRunner((reply: RunnerReply) => port.postMessage(reply));
port.on('message', handle);
