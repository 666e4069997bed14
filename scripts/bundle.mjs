// npm run build:ts, second half: the Node entry and the command line as
// one ES module each. tsc has type-checked src/ and written the declarations
// and a module per source file (dist/index.js and the rest: what app
// bundlers, browsers and edge runtimes get, since a bundler drops what an app
// does not use module by module). For Node, which resolves, reads and
// compiles every module separately at start-up, esbuild writes
// dist/node/index.js and dist/cli/main.js (over tsc's), each with
// everything it imports inside and a source map into src/ (shipped in the
// package): one module instead of about seventy is most of a cold start.
//
// The .wasm files are found by `new URL('../../wasm/…', import.meta.url)`
// in src/backend/wasm.ts (a literal, so that an app's bundler sees the
// asset): a bundle must sit two folders below the package root, as that
// module does.
import { build } from 'esbuild';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const entries = [
  { in: 'src/index.ts', out: 'dist/node/index.js' },
  { in: 'src/cli/main.ts', out: 'dist/cli/main.js' },
];

for (const e of entries) {
  const up = relative(dirname(join(root, e.out)), root).split('\\').join('/');
  if (up !== '../..') throw new Error(`scripts/bundle.mjs: ${e.out} must sit two folders below the package root (the .wasm URLs are relative), not at ${up}`);
  await build({
    entryPoints: [join(root, e.in)],
    outfile: join(root, e.out),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    // Whitespace and syntax only: names stay, so stack traces and error names read as in the source.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    external: ['node:*'],
    logLevel: 'warning',
  });
}
