/**
 * Node only: writes a file through a temporary file in the same directory and a rename, so a crash
 * or a full disk leaves the old file or the new one, never half of one. Errors propagate as they
 * are; callers wrap them in their own typed error.
 *
 * The Node modules load lazily: models/save.ts reaches this module from the browser entry (through
 * a dynamic import), and a bundler's browser stub for `node:*` has no named exports, so static named
 * imports here would fail a Vite build of any page that imports fmnist-wasm.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const [{ randomBytes }, { rename, unlink, writeFile }] = await Promise.all([import('node:crypto'), import('node:fs/promises')]);
  const temporary = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
