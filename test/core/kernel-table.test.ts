// The kernel table (src/core/kernel-table.ts) is the one description of the kernels the thread
// layer knows: its argument names must be abi.ts's parameter names, its arities the wasm exports',
// and every kernel export of the build must be in it (or be a `_part` form of a kernel that splits
// in parts, or a query without arguments). The compile-time check covers arities against abi.ts.
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CoreExports } from '../../src/core/abi.js';
import { KERNELS } from '../../src/core/kernel-table.js';
import { instantiateCore } from '../../src/core/load.js';
import { WORKER_KERNELS } from '../../src/core/threads.js';

/** Parameter names of every method of abi.ts's CoreExports. */
function abiParameters(): Map<string, string[]> {
  const path = new URL('../../src/core/abi.ts', import.meta.url);
  const source = ts.createSourceFile('abi.ts', readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const methods = new Map<string, string[]>();
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node) || node.name.text !== 'CoreExports') return;
    for (const member of node.members) {
      if (ts.isMethodSignature(member))
        methods.set(
          member.name.getText(source),
          member.parameters.map((p) => p.name.getText(source)),
        );
    }
  });
  return methods;
}

type Spec = { args: readonly { name: string; kind: string }[]; split?: { by: string } };
const TABLE = KERNELS as unknown as Record<string, Spec>;
/** Exports that take no arguments and only answer a question. */
const QUERIES = ['heap_base', 'gemm_f32_workspace_bytes', 'gemm_f32_sgd_max_k'];

describe('the kernel table', () => {
  let exports: CoreExports;
  beforeAll(async () => {
    exports = await instantiateCore();
  });

  it("names each kernel's arguments as abi.ts does, in its order", () => {
    const abi = abiParameters();
    for (const [name, spec] of Object.entries(TABLE)) {
      expect(
        spec.args.map((arg) => arg.name),
        name,
      ).toEqual(abi.get(name));
      if (spec.split?.by === 'parts') expect(abi.get(`${name}_part`), `${name}_part`).toEqual([...abi.get(name)!, 'part', 'parts']);
    }
  });

  it("has the wasm exports' arities and describes every kernel export of the build", () => {
    const raw = exports as unknown as Record<string, (...args: number[]) => unknown>;
    const arity = (name: string) => raw[name]!.length;
    const described = new Set(QUERIES);
    for (const [name, spec] of Object.entries(TABLE)) {
      expect(arity(name), name).toBe(spec.args.length);
      described.add(name);
      if (spec.split?.by === 'parts') {
        expect(arity(`${name}_part`), `${name}_part`).toBe(spec.args.length + 2);
        described.add(`${name}_part`);
      }
    }
    const module = new WebAssembly.Module(readFileSync(new URL('../../build/release.wasm', import.meta.url)));
    const kernels = WebAssembly.Module.exports(module).filter((entry) => entry.kind === 'function');
    expect(kernels.map((entry) => entry.name).filter((name) => !described.has(name))).toEqual([]);
  });

  it('gives the workers one kernel id per kernel that splits: the _part form, or the kernel for ranges', () => {
    const splitting = Object.entries(TABLE).filter(([, spec]) => spec.split !== undefined);
    expect(WORKER_KERNELS).toEqual(splitting.map(([name, spec]) => (spec.split!.by === 'parts' ? `${name}_part` : name)));
    for (const name of WORKER_KERNELS) expect(typeof (exports as unknown as Record<string, unknown>)[name], name).toBe('function');
  });

  it('marks one per-thread workspace at most per kernel, only on kernels that split in parts', () => {
    for (const [name, spec] of Object.entries(TABLE)) {
      const workspaces = spec.args.filter((arg) => arg.kind === 'workspace').length;
      expect(workspaces, name).toBeLessThanOrEqual(spec.split?.by === 'parts' ? 1 : 0);
    }
  });
});
