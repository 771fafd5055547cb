// Sums every test runner's results into the one line CI reads: "N passed, N failed".
// The checks (type-check, lint): test-output/checks.json; as-pect: its "[Tests]: passed / total"
// summary in the log; vitest and Playwright (browser tests): their JSON reports.
import { existsSync, readFileSync } from 'node:fs';

const [logPath, vitestJsonPath] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let runners = 0;

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes of the runners' logs
const log = existsSync(logPath) ? readFileSync(logPath, 'utf8').replace(/\x1b\[[0-9;]*m/g, '') : '';
for (const match of log.matchAll(/\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/g)) {
  runners++;
  passed += Number(match[1]);
  failed += Number(match[2]) - Number(match[1]);
}

if (existsSync(vitestJsonPath)) {
  const report = JSON.parse(readFileSync(vitestJsonPath, 'utf8'));
  runners++;
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // A suite that failed to load (syntax error, missing import) has no tests but is a failure.
  failed += report.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
}

// Each check (npm run typecheck, npm run lint) counts as one test.
const checksPath = 'test-output/checks.json';
if (existsSync(checksPath)) {
  const report = JSON.parse(readFileSync(checksPath, 'utf8'));
  passed += report.passed;
  failed += report.failed;
}

// Browser tests: Playwright's JSON report. A flaky test (passed on retry) is a failure; a run that
// never reached the tests (build or server failed) has errors and no count.
const browserPath = 'test-output/playwright.json';
runners++;
if (existsSync(browserPath)) {
  const { stats, errors = [] } = JSON.parse(readFileSync(browserPath, 'utf8'));
  passed += stats.expected;
  failed += stats.unexpected + stats.flaky;
  if (stats.expected + stats.unexpected + stats.flaky === 0 || errors.length > 0) failed++;
} else {
  failed++;
}

if (runners === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
