// Installs a folder's own dependencies (bench/peers, examples) the first time
// a script needs them, and again when its package.json changes; a clone's
// `npm install` stays small. Usage: node scripts/ensure.mjs <folder>
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';

const dir = resolve(process.argv[2] ?? '');
const manifest = join(dir, 'package.json');
if (!process.argv[2] || !existsSync(manifest)) {
  console.error(`ensure: ${process.argv[2] ?? '(no folder)'} has no package.json`);
  process.exit(2);
}
const stamp = join(dir, 'node_modules', '.simd-rnn-installed');
const hash = createHash('sha256').update(readFileSync(manifest)).digest('hex');
if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) process.exit(0);
console.error(`installing the dependencies of ${process.argv[2]} (once; see its package.json)…`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// onnxruntime-node's install script (npm 10 runs it) would fetch CUDA binaries from outside npm.
const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error'], {
  cwd: dir, stdio: 'inherit', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
});
if (r.status !== 0) {
  console.error(`ensure: npm install in ${process.argv[2]} failed (exit ${r.status ?? r.signal})`);
  process.exit(1);
}
writeFileSync(stamp, hash);
