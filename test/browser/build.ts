/**
 * Builds what the browser tests serve before `playwright test` starts its server: the release
 * .wasm and dist/ when missing (`npm test` builds them), and always the demo (dist-web/), so it
 * holds the current src/web.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './pages.js';

function run(script: string): void {
  process.stderr.write(`browser tests: npm run ${script}\n`);
  execFileSync('npm', ['run', script], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
}

if (!existsSync(join(REPO, 'build/release.wasm'))) run('asbuild:release');
if (!existsSync(join(REPO, 'dist/cli/main.js')) || !existsSync(join(REPO, 'dist/browser.js'))) run('build:ts');
run('build:web');
