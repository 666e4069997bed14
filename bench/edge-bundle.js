// npm run size:edge [-- OTHER_CHECKOUT…]: the JS an inference-only Worker
// ships (io.load + predict through the package's workerd entry, bundled by
// esbuild as Wrangler does, minified), gzipped, and which parts of the
// library ride along. Given other checkouts (built), measures them too, so a
// change's effect is read in one run.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const roots = [...process.argv.slice(2).map((p) => resolve(p)), here];
// Strings that only a module of training or checkpointing holds.
const markers = { 'fit loop': 'options.epochs', 'training step': 'onNonFinite', losses: 'bceWithLogits', optimizers: 'this optimizer was disposed', checkpoints: 'checkpoint: the model is not compiled' };
const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-edge-'));
console.log('| checkout | gzipped | minified | in the bundle |\n|---|---|---|---|');
for (const root of roots) {
  const entry = join(dir, `entry-${roots.indexOf(root)}.js`);
  writeFileSync(entry, `import { init, io, tensor } from ${JSON.stringify(join(root, 'dist/edge.js'))};
export default { async fetch(req) { await init(); const m = io.load(new Uint8Array(await req.arrayBuffer())); return new Response(String(m.predict(tensor(new Float32Array(8), [1, 1, 8])).data[0])); } };
`);
  const out = await build({ entryPoints: [entry], bundle: true, minify: true, format: 'esm', platform: 'neutral', conditions: ['workerd', 'worker'],
    write: false, external: ['node:*', '*.wasm'], logLevel: 'silent' });
  const js = out.outputFiles[0].contents, text = new TextDecoder().decode(js);
  const rides = Object.entries(markers).filter(([, s]) => text.includes(s)).map(([k]) => k);
  console.log(`| ${root} | ${(gzipSync(js, { level: 9 }).length / 1024).toFixed(1)} kB | ${(js.length / 1024).toFixed(1)} kB | ${rides.length ? rides.join(', ') : 'no training or checkpoint code'} |`);
}
