/**
 * Node only: reads a whole file that must be a regular file of at most `maxBytes`, its size known
 * before the first byte is read. A FIFO, a device (/dev/zero), a socket or a directory, directly or
 * through a symbolic link, is refused at once instead of hanging or reading without end; the open is
 * non-blocking, so even opening a FIFO without a writer returns. Errors are `FileReadProblem`s that
 * say what is wrong in a few words; callers wrap them in their typed error naming the file.
 *
 * The Node modules load lazily through util/node.ts, out of bundlers' sight.
 */
import { importNode } from './node.js';

export class FileReadProblem extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'FileReadProblem';
  }
}

/** What a stat describes, for "not a regular file (a FIFO)". */
function kindOf(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The few words an open or read error becomes: `no such file`, `permission denied (EACCES)`. */
export function describeFileError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ELOOP':
      return 'a symbolic link loop';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'ENOSPC':
      return 'no space left on the device (ENOSPC)';
    case 'EROFS':
      return 'a read-only file system (EROFS)';
    default:
      return code ?? (error as Error).message;
  }
}

/**
 * The bytes of `path`, which must be a regular file of at most `maxBytes` (`what` names the limit in
 * the message: `a model file`).
 * @throws FileReadProblem otherwise, or when it cannot be opened or read.
 */
export async function readRegularFile(path: string, maxBytes: number, what = 'this file'): Promise<Uint8Array> {
  const [{ open }, { constants }] = await Promise.all([importNode('fs/promises'), importNode('fs')]);
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new FileReadProblem(describeFileError(error), (error as NodeJS.ErrnoException).code);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new FileReadProblem(`${kindOf(stats)}, not a regular file`);
    if (stats.size > maxBytes) throw new FileReadProblem(`${stats.size} bytes, more than the ${maxBytes} ${what} may hold`);
    const bytes = new Uint8Array(stats.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    if (at !== bytes.length) throw new FileReadProblem(`changed while being read (${at} of ${bytes.length} bytes)`);
    return bytes;
  } catch (error) {
    if (error instanceof FileReadProblem) throw error;
    throw new FileReadProblem(describeFileError(error), (error as NodeJS.ErrnoException).code);
  } finally {
    await handle.close();
  }
}
