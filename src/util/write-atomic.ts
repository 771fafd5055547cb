/**
 * Node only: writes a file through a temporary file in the same directory and a rename, so a crash
 * or a full disk leaves the old file or the new one, never half of one. Errors propagate as they
 * are; callers wrap them in their own typed error.
 *
 * Nothing is left behind either. The temporary file is `NAME.<pid>-<hex>.tmp`: on SIGINT or SIGTERM
 * during the write it is removed and the process exits with 130 or 143 (128 + the signal number, as
 * a shell reports it); a SIGKILL cannot be caught, so every write first removes the temporary files
 * of the same NAME whose process is gone.
 *
 * The Node modules load lazily (util/node.ts, out of bundlers' sight): models/save.ts reaches this module from the browser entry (through
 * a dynamic import), and a bundler's browser stub for `node:*` has no named exports, so static named
 * imports here would fail a Vite build of any page that imports fmnist-wasm.
 */

import { importNode } from './node.js';
import { describeFileError } from './read-file.js';
import { onTerminationSignal } from './signals.js';

/** Temporary files being written now, removed by the signal handlers. */
const pending = new Set<string>();

/**
 * Errors say what is wrong in a few words (`no such file`, `permission denied (EACCES)`), never the
 * temporary file's name; the original error is the `cause`. `createParents`: make missing parent
 * directories first.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: { createParents?: boolean } = {}): Promise<void> {
  const [{ randomBytes }, fs, { unlinkSync }, { basename, dirname, join }] = await Promise.all([
    importNode('crypto'),
    importNode('fs/promises'),
    importNode('fs'),
    importNode('path'),
  ]);
  if (options.createParents) {
    await fs.mkdir(dirname(path), { recursive: true }).catch((error: unknown) => {
      throw new Error(`cannot create the directory ${dirname(path)}: ${describeFileError(error)}`, { cause: error });
    });
  }
  await removeStaleTemporaries(dirname(path), basename(path), fs, join);
  const temporary = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  pending.add(temporary);
  const stopWatching = onTerminationSignal(() => {
    for (const file of pending) {
      try {
        unlinkSync(file);
      } catch {
        // already renamed or never created
      }
    }
  });
  try {
    await fs.writeFile(temporary, data, { flag: 'wx' });
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.unlink(temporary).catch(() => undefined);
    throw new Error(describeFileError(error), { cause: error });
  } finally {
    pending.delete(temporary);
    stopWatching();
  }
}

/**
 * Removes `NAME.<pid>-<hex>.tmp` files in `dir` left by a process that no longer runs (killed during
 * a write). Files of live processes are theirs; a file that vanishes meanwhile is fine.
 */
async function removeStaleTemporaries(
  dir: string,
  name: string,
  fs: typeof import('node:fs/promises'),
  join: (...parts: string[]) => string,
): Promise<void> {
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return; // the write itself reports an unreadable or missing directory
  }
  for (const entry of entries) {
    if (!entry.startsWith(`${name}.`)) continue;
    const match = /^(\d+)-[0-9a-f]{12}\.tmp$/.exec(entry.slice(name.length + 1));
    if (match === null || isRunning(Number(match[1]))) continue;
    await fs.unlink(join(dir, entry)).catch(() => undefined);
  }
}

/** Whether process `pid` runs (EPERM: it does, as another user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
