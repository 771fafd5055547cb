// The package as browser code consumes it: no Node module reachable from the browser entry, the
// "browser" export condition, a plain module-script page with an import map, and a Vite app.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build as viteBuild } from 'vite';
import { expect, test } from './fixtures.js';
import { CONSUMER_HTML, CONSUMER_MAIN, CONSUMER_OUT, consumerAppDir, REPO, staticImports } from './pages.js';

test('dist/browser.js and dist/core-api.js import no Node module statically (directly or through their imports)', () => {
  const root = join(REPO, 'dist');
  const seen = new Set<string>();
  const queue = [join(root, 'browser.js'), join(root, 'core-api.js')];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier === '@assemblyscript/loader') continue; // browser-safe ES module
      expect(specifier.startsWith('.'), `${file.slice(root.length + 1)} imports ${specifier} statically`).toBe(true);
      queue.push(join(dirname(file), specifier));
    }
  }
  expect(seen.size).toBeGreaterThan(10);
});

test('package.json maps the root to the browser entry under the "browser" condition', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  expect(pkg.exports['.'].browser?.default).toBe('./dist/browser.js');
  expect(pkg.exports['./browser']?.default).toBe('./dist/browser.js');
});

test('a plain <script type="module"> page imports fmnist-wasm (import map), loads the core and predicts', async ({ page, pageErrors }) => {
  await page.goto('/embed.html');
  await expect(page.locator('#result')).not.toHaveText('pending', { timeout: 60_000 });
  const text = (await page.textContent('#result')) ?? '';
  expect(text).not.toMatch(/^error/);
  const result = JSON.parse(text);
  expect(result.simd).toBe(true);
  expect(result.matmul).toEqual([58, 64, 139, 154]);
  expect(result.labels).toHaveLength(2);
  expect(Math.abs(result.sum - 1)).toBeLessThan(1e-4);
  expect(result.classes).toBe(10);
  expect(pageErrors).toEqual([]);
});

test('a Vite app importing "fmnist-wasm" gets the browser entry, builds, and runs (default wasm URL and ?url)', async ({
  page,
  pageErrors,
}) => {
  const app = consumerAppDir('consumer-app');
  writeFileSync(join(app, 'index.html'), CONSUMER_HTML);
  writeFileSync(join(app, 'main.js'), CONSUMER_MAIN);
  await viteBuild({
    root: app,
    base: '/consumer/',
    configFile: false,
    logLevel: 'error',
    build: { outDir: CONSUMER_OUT, emptyOutDir: true, target: 'es2022' },
  });
  // fetchFashionMnistSplit exists only in the browser entry: the build resolving it proves the condition worked.
  expect(readdirSync(join(CONSUMER_OUT, 'assets')).some((f) => f.endsWith('.wasm'))).toBe(true);
  for (const query of ['', '?default']) {
    await page.goto(`/consumer/${query}`);
    await expect(page.locator('#result')).not.toHaveText('pending', { timeout: 60_000 });
    const text = (await page.textContent('#result')) ?? '';
    expect(text, query || 'url').not.toMatch(/^error/);
    const result = JSON.parse(text);
    expect(result.count).toBe(20);
    expect(result.labels).toHaveLength(20);
  }
  expect(pageErrors).toEqual([]);
});
