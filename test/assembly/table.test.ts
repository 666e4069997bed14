// The kernel table is the one list of kernels: every build exports exactly
// its kernels with its argument counts, the JS twin implements exactly them,
// and every kernel has a reference case in this folder's tests.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { KERNELS, KERNEL_NAMES, createBackend } from '../../src/index.js';
import { availableBackends } from '../helpers/backends.js';

t.test('every backend has exactly the table\'s kernels, with its arguments', async (t) => {
  for (const name of availableBackends()) {
    const be = await createBackend(name, { debug: false });
    const k = be.k as unknown as Record<string, unknown>;
    for (const kn of KERNEL_NAMES) {
      const f = k[kn] as ((...a: number[]) => unknown) | undefined;
      t.equal(typeof f, 'function', `${name}: ${kn}`);
      t.equal(f?.length, KERNELS[kn].args.length, `${name}: ${kn} takes ${KERNELS[kn].args.join(', ')}`);
    }
    const extra = Object.keys(k).filter((x) => /^(f32|i8)_/.test(x) && !(KERNEL_NAMES as readonly string[]).includes(x));
    t.same(extra, [], `${name}: no kernel outside the table`);
  }
});

t.test('every kernel has a reference case', async (t) => {
  const dir = new URL('./', import.meta.url);
  const sources = readdirSync(dir).filter((f) => f.endsWith('.test.ts') && f !== 'table.test.ts').map((f) => readFileSync(new URL(f, dir), 'utf8')).join('\n');
  for (const kn of KERNEL_NAMES) t.match(sources, new RegExp(`\\b${kn}\\b`), `${kn} is checked against a reference in test/assembly/`);
  for (const [kn, spec] of Object.entries(KERNELS)) {
    for (const [i] of spec.pointers) t.ok(i < spec.args.length, `${kn}: pointer argument ${i} (${spec.args[i]}) exists`);
    t.ok(spec.bench.length > 0, `${kn} has a benchmark case`);
  }
});
