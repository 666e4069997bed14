// No lost work: a process killed (SIGKILL) while it rewrites a model file
// leaves the previous file whole and loadable, every time.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { init, io, Sequential, LSTM, Linear } from '../../src/index.js';

const dist = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

t.test('kill -9 mid-write leaves the last file intact', async (t) => {
  await init();
  const dir = mkdtempSync(join(tmpdir(), 'simd-rnn-kill-'));
  const path = join(dir, 'model.safetensors');
  const first = new Sequential([new LSTM({ inputSize: 4, hiddenSize: 8, seed: 1 }), new Linear({ inFeatures: 8, outFeatures: 1, seed: 1 })]);
  await io.saveFile(first, path);
  // The writer rewrites a much larger model over and over, atomically.
  const writer = join(dir, 'writer.mjs');
  writeFileSync(writer, `import { init, io, Sequential, LSTM, Linear } from ${JSON.stringify(dist)};
await init();
for (let i = 0; ; i++) {
  const m = new Sequential([new LSTM({ inputSize: 64, hiddenSize: 256, numLayers: 2, seed: i }), new Linear({ inFeatures: 256, outFeatures: 1, seed: i })]);
  await io.saveFile(m, ${JSON.stringify(path)});
  m.dispose();
  if (i === 0) process.stdout.write('written\\n');
}
`);
  for (let round = 0; round < 6; round++) {
    const child = spawn(process.execPath, [writer], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, 20 + 37 * round)); // somewhere inside a later write
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const bytes = readFileSync(path);
    let ok = false;
    try { io.load(bytes).dispose(); ok = true; } catch { ok = false; }
    t.ok(ok, `round ${round}: the file loads (CRC checked) after SIGKILL`);
  }
});
