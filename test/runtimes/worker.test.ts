// Cloudflare's workerd (the npm package): a Worker that imports 'simd-rnn'
// (its "workerd" export, dist/edge.js, whose .wasm imports the bundle turns
// into wasm modules, as wrangler does), loads a saved model and answers
// inference requests over HTTP on loopback, equal to Node within 1e-5; the
// same Worker handed wasm bytes instead of a Module fails loudly.
import t from 'tap';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { init, tensor, GRU, Linear, Sequential, io } from '../../src/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

t.test('a Worker serves inference; bytes instead of a Module fail loudly', async (t) => {
  // The platform package's native binary: workerd's bin/workerd is a Node shim
  // until its install script replaces it (npm may skip that script), and
  // killing the shim would leave the server running.
  const workerdDir = dirname(require.resolve('workerd/package.json'));
  let bin = join(workerdDir, 'bin', 'workerd');
  try {
    const plat = `@cloudflare/workerd-${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch === 'x64' ? '64' : process.arch}`;
    bin = join(dirname(createRequire(join(workerdDir, 'package.json')).resolve(`${plat}/package.json`)), 'bin', 'workerd');
  } catch { /* no platform package: the shim (or the binary it was replaced by) */ }
  const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-workerd-'));
  await init();
  const model = new Sequential([new GRU({ inputSize: 3, hiddenSize: 8, seed: 1 }), new Linear({ inFeatures: 8, outFeatures: 2, seed: 2 })]);
  writeFileSync(join(dir, 'model.safetensors'), io.save(model));
  copyFileSync(join(root, 'wasm/simd-rnn.simd.wasm'), join(dir, 'simd.wasm'));
  copyFileSync(join(root, 'wasm/simd-rnn.wasm'), join(dir, 'scalar.wasm'));
  copyFileSync(join(root, 'wasm/simd-rnn.simd.wasm'), join(dir, 'simd.bin'));
  await build({
    entryPoints: [join(root, 'test/runtimes/worker.js')], bundle: true, format: 'esm', platform: 'neutral',
    outfile: join(dir, 'worker.js'), external: ['./simd.bin', './model.safetensors', 'node:*'], logLevel: 'silent',
    conditions: ['workerd', 'worker', 'browser'],
    // As wrangler does: .wasm imports become module imports the runtime compiles.
    plugins: [{
      name: 'wasm-modules',
      setup(b) {
        b.onResolve({ filter: /\.wasm$/ }, (a) => ({ path: a.path.endsWith('simd-rnn.simd.wasm') ? './simd.wasm' : './scalar.wasm', external: true }));
      },
    }],
  });
  const port = await freePort();
  writeFileSync(join(dir, 'config.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "simd.wasm", wasm = embed "simd.wasm"),
    (name = "scalar.wasm", wasm = embed "scalar.wasm"),
    (name = "simd.bin", data = embed "simd.bin"),
    (name = "model.safetensors", data = embed "model.safetensors"),
  ],
  compatibilityDate = "2024-09-23",
);
`);
  t.ok(existsSync(bin), 'workerd binary from npm');
  // Its own process group, so that teardown stops whatever it started.
  const proc = spawn(bin, ['serve', join(dir, 'config.capnp')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  proc.stderr.on('data', (d: Buffer) => { log += d.toString(); });
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      try { await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{"x":[0,0,0],"shape":[1,1,3]}' }); ready = true; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
    t.ok(ready, `workerd is listening (${log.slice(0, 300)})`);
    const x = Array.from({ length: 2 * 4 * 3 }, (_, i) => Math.sin(i));
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: JSON.stringify({ x, shape: [2, 4, 3] }) });
    const text = await res.text();
    t.equal(res.status, 200, text.slice(0, 200));
    const got = JSON.parse(text) as { y: number[]; shape: number[]; threads: number; features: boolean };
    const want = model.predict(tensor(Float32Array.from(x), [2, 4, 3])).data;
    t.same(got.shape, [2, 2]);
    t.same([got.threads, got.features], [1, false], 'one thread in a Worker (no workers of its own there), said by detectFeatures().threads');
    const d = Math.max(...got.y.map((v, i) => Math.abs(v - want[i]!)));
    t.ok(d < 1e-5, `Worker equals Node within 1e-5 (max |Δ| ${d.toExponential(1)})`);
    const bad = await fetch(`http://127.0.0.1:${port}/?bytes`);
    const msg = await bad.text();
    t.equal(bad.status, 500, 'compiling bytes is refused, loudly');
    t.match(msg, /error: .*(disallowed|not allowed|code generation|embedder)/i, msg.slice(0, 200));
  } finally {
    try { process.kill(-proc.pid!, 'SIGKILL'); } catch { proc.kill('SIGKILL'); }
    proc.stdout.destroy(); proc.stderr.destroy();
  }
});
