// Sums every test runner's results into the one line CI reads: "N passed, N failed".
// Arguments: one directory per `npm test` run (one per Node major), each with its log (as-pect's
// "[Tests]: passed / total" summary) and vitest's JSON report. Once: the checks (type-check, lint)
// in test-output/checks.json and the browser tests' Playwright report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const runs = process.argv.slice(2);
let passed = 0;
let failed = 0;

function count(label, p, f) {
  console.log(`${label}: ${p} passed, ${f} failed`);
  passed += p;
  failed += f;
}

for (const dir of runs) {
  const logPath = join(dir, 'test.log');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes of the runners' logs
  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').replace(/\x1b\[[0-9;]*m/g, '') : '';
  const aspect = [...log.matchAll(/\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/g)];
  // A run that never reached a runner (the build failed) counts as one failure for it.
  if (aspect.length === 0) count(`${dir} as-pect (did not run)`, 0, 1);
  for (const match of aspect) count(`${dir} as-pect`, Number(match[1]), Number(match[2]) - Number(match[1]));

  const vitestPath = join(dir, 'vitest.json');
  if (existsSync(vitestPath)) {
    const report = JSON.parse(readFileSync(vitestPath, 'utf8'));
    // A suite that failed to load (syntax error, missing import) has no tests but is a failure.
    const unloaded = report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
    count(`${dir} vitest`, report.numPassedTests, report.numFailedTests + unloaded);
  } else {
    count(`${dir} vitest (did not run)`, 0, 1);
  }
}
if (runs.length === 0) count('no npm test run', 0, 1);

// Each check (npm run typecheck, npm run lint) counts as one test.
const checksPath = 'test-output/checks.json';
if (existsSync(checksPath)) {
  const report = JSON.parse(readFileSync(checksPath, 'utf8'));
  count('checks', report.passed, report.failed);
}

// Browser tests: Playwright's JSON report. A flaky test (passed on retry) is a failure; a run that
// never reached the tests (build or server failed) has errors and no count.
const browserPath = 'test-output/playwright.json';
if (existsSync(browserPath)) {
  const { stats, errors = [] } = JSON.parse(readFileSync(browserPath, 'utf8'));
  const broken = stats.expected + stats.unexpected + stats.flaky === 0 || errors.length > 0 ? 1 : 0;
  count('browser', stats.expected, stats.unexpected + stats.flaky + broken);
} else {
  count('browser (did not run)', 0, 1);
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
