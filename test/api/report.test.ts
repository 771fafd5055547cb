// The public API is a contract: the names src/index.ts and src/browser.ts export (with their types)
// must be those recorded in api/fmnist-wasm.api.md. A change of the exports fails here until the
// report is regenerated with `npm run api:report`, so it shows up in review.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiReport, REPORT_FILE } from '../../api/report.js';
import * as browser from '../../src/browser.js';
import * as node from '../../src/index.js';

describe('the public API', () => {
  const report = apiReport();

  it('matches api/fmnist-wasm.api.md (run `npm run api:report` after an intended change)', () => {
    expect(report).toBe(readFileSync(REPORT_FILE, 'utf8'));
  });

  it('lists every runtime export of both entry points, and no internal helper', () => {
    for (const name of [...Object.keys(node), ...Object.keys(browser)])
      expect(report, name).toMatch(new RegExp(`^(class|function|const|enum) ${name}\\b`, 'm'));
    for (const internal of ['crc32', 'runFit', 'pairSplit', 'searchDirs', 'Optimizer', 'Rng', 'planModel', 'initialize']) {
      expect(Object.keys(node)).not.toContain(internal);
      expect(Object.keys(browser)).not.toContain(internal);
    }
  });

  it('gives browsers no Node-only data reader', () => {
    expect(Object.keys(browser)).not.toContain('loadFashionMnist');
    expect(Object.keys(browser)).toContain('fetchFashionMnist');
    expect(Object.keys(node)).toContain('loadFashionMnist');
  });
});
