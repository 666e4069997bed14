import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
const variants = {
  ns: `import { init, LSTM, tensor, io } from '/work/main/src/index.ts';
export async function infer(bytes, x) { await init(); const l = new LSTM({ inputSize: 8, hiddenSize: 32 }); l.loadStateDict(io.readSafetensors(bytes)); return l.forward(x); }`,
  direct: `import { init, LSTM, tensor } from '/work/main/src/index.ts'; import { readSafetensors } from '/work/main/src/io/safetensors.ts';
export async function infer(bytes, x) { await init(); const l = new LSTM({ inputSize: 8, hiddenSize: 32 }); l.loadStateDict(readSafetensors(bytes)); return l.forward(x); }`,
  noio: `import { init, LSTM, tensor } from '/work/main/src/index.ts';
export async function infer(x) { await init(); const l = new LSTM({ inputSize: 8, hiddenSize: 32 }); return l.forward(x); }`,
};
for (const [k, src] of Object.entries(variants)) {
  writeFileSync('/tmp/e.js', src);
  const out = await build({ entryPoints: ['/tmp/e.js'], bundle: true, minify: true, format: 'esm', platform: 'neutral', write: false, external: ['node:*', '*.wasm'], logLevel: 'silent', metafile: true });
  const js = out.outputFiles[0].contents;
  const ins = out.metafile.outputs[Object.keys(out.metafile.outputs)[0]].inputs;
  console.log(k, js.length, gzipSync(js, { level: 9 }).length, Object.keys(ins).length);
  if (process.argv[2] === k) for (const [f, v] of Object.entries(ins).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)) console.log('  ', v.bytesInOutput, f.replace('../work/main/src/', ''));
}
