// Sums every test runner's results into the one line CI reads: "N passed, N failed".
// as-pect: its "[Tests]: passed / total" summary in the log; vitest: its JSON report.
import { existsSync, readFileSync } from 'node:fs';

const [logPath, vitestJsonPath] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let runners = 0;

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

// Browser tests write their own count.
const browserPath = 'test-output/browser.json';
if (existsSync(browserPath)) {
  const report = JSON.parse(readFileSync(browserPath, 'utf8'));
  runners++;
  passed += report.passed;
  failed += report.failed;
}

if (runners === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
