// Headless Chromium (Debian's chromium, driven by playwright-core): a page
// that imports the package (bundled with esbuild) runs inference and a few
// training steps on wasm SIMD and on JS, and must agree with Node within 1e-5;
// under a content-security policy without 'wasm-unsafe-eval' the same page
// falls back to JS.
import t from 'tap';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { init, tensor, LSTM, GRU, Linear, Sequential, optim } from '../../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

t.test('Chromium runs the package and agrees with Node', { skip: existsSync(CHROMIUM) ? false : 'chromium is not installed (apt-get install -y chromium; .ci/run does)' }, async (t) => {
  // Bundle at /b/x/page.js so that the package's ../../wasm/ URLs resolve to /wasm/.
  const site = mkdtempSync(join(tmpdir(), 'simd-rnn-site-'));
  mkdirSync(join(site, 'b', 'x'), { recursive: true });
  await build({ entryPoints: [join(root, 'test/runtimes/page.js')], bundle: true, format: 'esm', platform: 'browser', outfile: join(site, 'b/x/page.js'), logLevel: 'silent', external: ['node:*'] });
  const html = '<!doctype html><meta charset="utf-8"><script type="module" src="/b/x/page.js"></script>';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const csp = url.searchParams.has('csp') ? { 'Content-Security-Policy': "script-src 'self'" } : {};
    // Cross-origin isolation (what SharedArrayBuffer, so threads, need), on every response of the page.
    const coi = url.searchParams.has('coi') || req.headers.referer?.includes('coi')
      ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {};
    Object.assign(csp, coi);
    if (url.pathname === '/') { res.writeHead(200, { 'Content-Type': 'text/html', ...csp }); res.end(html); return; }
    const file = url.pathname.startsWith('/wasm/') ? join(root, url.pathname) : join(site, url.pathname);
    if (!existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript', ...csp });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    type Threaded = { features: boolean; isolated: boolean; name: string; threads: number; same: boolean };
    const r = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result) as { auto: { name: string; y: number[]; losses: number[] }; js: { name: string; y: number[]; losses: number[] }; threaded: Threaded; error?: string };
    t.notOk(r.error, r.error ?? 'no error in the page');
    t.equal(r.auto.name, 'wasm-simd', 'Chromium picks wasm SIMD');
    t.equal(r.js.name, 'js');
    // The same computation in Node.
    await init();
    const x = tensor(Float32Array.from({ length: 30 }, (_, i) => Math.sin(i)), [5, 2, 3]);
    const y = new LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 }).forward(x).output.data;
    const m = new Sequential([new GRU({ inputSize: 3, hiddenSize: 4, seed: 2 }), new Linear({ inFeatures: 4, outFeatures: 1, seed: 3 })]);
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'mse' });
    const xb = tensor(Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)), [2, 5, 3]), yb = tensor(new Float32Array([0.5, -0.5]), [2, 1]);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) losses.push(m.trainOnBatch(xb, yb));
    for (const side of ['auto', 'js'] as const) {
      const dy = Math.max(...r[side].y.map((v, i) => Math.abs(v - y[i]!)));
      const dl = Math.max(...r[side].losses.map((v, i) => Math.abs(v - losses[i]!)));
      t.ok(dy < 1e-5, `${side}: LSTM outputs within 1e-5 of Node (max |Δ| ${dy.toExponential(1)})`);
      t.ok(dl < 1e-5, `${side}: training losses within 1e-5 of Node (max |Δ| ${dl.toExponential(1)})`);
    }
    // Threads: none without cross-origin isolation; two with it, and the bits of one.
    t.same({ ...r.threaded, same: true }, { features: false, isolated: false, name: 'wasm-simd', threads: 1, same: true }, 'a page without cross-origin isolation: one thread, said by detectFeatures().threads');
    t.ok(r.threaded.same, 'and the same outputs either way');
    const iso = await browser.newPage();
    await iso.goto(`http://127.0.0.1:${port}/?coi`);
    const ri = await iso.evaluate(() => (window as unknown as { result: Promise<unknown> }).result) as { threaded: Threaded; error?: string };
    t.notOk(ri.error, ri.error ?? 'no error in the isolated page');
    t.same(ri.threaded, { features: true, isolated: true, name: 'wasm-simd', threads: 2, same: true }, 'a cross-origin isolated page: two threads (Web Workers over shared memory), the bits of one');
    // A policy that forbids compiling wasm: the page still works, on JS.
    const strict = await browser.newPage();
    await strict.goto(`http://127.0.0.1:${port}/?csp`);
    const s = await strict.evaluate(() => (window as unknown as { result: Promise<unknown> }).result) as { auto: { name: string; y: number[] }; error?: string };
    t.notOk(s.error, s.error ?? 'no error under the CSP');
    t.equal(s.auto.name, 'js', "without 'wasm-unsafe-eval' the JS fallback runs");
    const ds = Math.max(...s.auto.y.map((v, i) => Math.abs(v - y[i]!)));
    t.ok(ds < 1e-5, `CSP page: same outputs (max |Δ| ${ds.toExponential(1)})`);
    writeFileSync(join(site, 'done'), '');
  } finally {
    await browser.close();
    server.close();
  }
});
