// A browser Web Worker hosting one runner of the inference benchmark (bench/infer-runner.ts), the
// twin of bench/infer-worker.ts. bench/infer-browser.ts bundles it with esbuild and its page posts
// the setup (with the model's and the images' bytes fetched from the bench's server), then requests.
import { serveRunner, type RunnerReply } from './infer-runner.js';

const scope = self as unknown as { postMessage(message: unknown): void; onmessage: ((event: MessageEvent) => void) | null };
const handle = serveRunner((reply: RunnerReply) => scope.postMessage(reply));
scope.onmessage = (event) => handle(event.data);
