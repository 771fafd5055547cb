// The pure parsers, the constants, the errors and the metrics are what the browser build imports:
// none of them (nor anything they import) may load a Node module at import time.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
const ENTRY_POINTS = ['data/idx.ts', 'data/csv.ts', 'data/classes.ts', 'errors.ts', 'metrics/index.ts'];

/** Static imports of a module (`import ... from '...'` and `export ... from '...'`, not `import(...)`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/gms)].map((m) => m[1]!);
}

describe('browser-safe modules', () => {
  it('import no Node module statically, directly or through each other', () => {
    const seen = new Set<string>();
    const queue = ENTRY_POINTS.map((p) => join(src, p));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of staticImports(file)) {
        expect(specifier.startsWith('.'), `${relative(src, file)} imports ${specifier}`).toBe(true);
        queue.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      }
    }
    expect([...seen].map((f) => relative(src, f)).sort()).toEqual([
      'data/classes.ts',
      'data/csv.ts',
      'data/idx.ts',
      'errors.ts',
      'metrics/accuracy.ts',
      'metrics/confusion.ts',
      'metrics/index.ts',
      'metrics/report.ts',
      'util/bytes.ts',
      'util/node.ts',
    ]);
  });
});
