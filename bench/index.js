// npm run bench [-- --json] [-- --quick] [-- --suite=kernels|layers]
// Every kernel and layer benchmark on every backend in ONE run (benchmark.js),
// with the wasm-SIMD/JS ratio. The relaxed-SIMD build is included when Node
// runs with --experimental-wasm-relaxed-simd (npm run bench does).
import os from 'node:os';
import { createBackend, detectFeatures } from '../dist/index.js';
import { JSON_OUT, QUICK, args, table, fmtRate } from './common.js';
import { runKernels } from './kernels.js';
import { runLayers } from './layers.js';

const suiteArg = [...args].find((a) => a.startsWith('--suite='))?.slice(8) ?? 'all';
const f = detectFeatures();
const names = ['wasm-simd', 'wasm', 'js'];
if (f.relaxedSimd) names.unshift('wasm-relaxed');

const rows = [];
if (suiteArg === 'all' || suiteArg === 'kernels') {
  const backends = {};
  for (const n of names) backends[n] = await createBackend(n);
  rows.push(...await runKernels(backends));
}
if (suiteArg === 'all' || suiteArg === 'layers') rows.push(...await runLayers(names));

const meta = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, date: new Date().toISOString(), quick: QUICK };
if (JSON_OUT) {
  console.log(JSON.stringify({ meta, backends: names, rows }, null, 2));
} else {
  process.stderr.write('\n');
  console.log(`simd-rnn benchmarks, single thread — Node ${meta.node}, ${meta.cpu}${QUICK ? ' (--quick: rough)' : ''}\n`);
  for (const suite of ['kernels', 'layers']) {
    const rs = rows.filter((r) => r.suite === suite);
    if (!rs.length) continue;
    const head = [suite === 'kernels' ? 'kernel' : 'layer', 'shape', 'unit', ...names, 'simd/js'];
    console.log(table(head, rs.map((r) => [r.kernel, r.shape, r.unit, ...names.map((n) => fmtRate(r.results[n])),
      r.simdOverJs ? `${r.simdOverJs.toFixed(1)}×` : '—'])));
    console.log();
  }
}
