/**
 * Browser tests (`npm run test:browser`): @playwright/test drives Debian's Chromium (no browser
 * download; TOOLCHAIN.md's flags), against `vite preview` of the built demo plus the test pages of
 * test/browser/preview.ts. The JSON report (test-output/playwright.json) is what .ci/summarize.mjs counts.
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), FASHION_MNIST_DIR, BROWSER_TEST_PORT (default:
 * a port derived from the process id, so parallel checkouts do not collide), BROWSER_TEST_UPDATE_DOCS=1
 * to refresh docs/demo.png.
 */
import { defineConfig } from '@playwright/test';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from './test/browser/chromium.js';

// Set once in the runner: its workers inherit the environment, so all agree on the port.
process.env.BROWSER_TEST_PORT ??= String(20000 + (process.pid % 20000));
const port = Number(process.env.BROWSER_TEST_PORT);

export default defineConfig({
  testDir: 'test/browser',
  testMatch: '*.spec.ts',
  outputDir: 'test-output/playwright',
  // Two shared cores: one test at a time, and no retries (a flaky test is a failure to look at).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 300_000,
  expect: { timeout: 30_000 },
  reporter: [['list'], ['json', { outputFile: 'test-output/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_FLAGS,
    },
  },
  webServer: {
    command: 'npx tsx test/browser/preview.ts',
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
