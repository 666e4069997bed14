#!/usr/bin/env node
// The simd-rnn command-line program. Exit codes: 0 done, 2 bad input (flags,
// files, data, hostile or corrupt model files, file-system errors such as a
// missing directory or a full disk), 1 a failure while working (training
// diverged), 130 stopped by Ctrl-C. Every error is one line on stderr.
import { readFileSync } from 'node:fs';
import { SimdRnnError } from '../errors.js';
import { UsageError, helpText, type Flag } from './args.js';
import { demo, demoFlags } from './commands/demo.js';
import { train, trainFlags, generate, generateFlags, predict, predictFlags, evaluate, evalFlags, bench, benchFlags, start } from './commands/model.js';
import { info, infoFlags, quantizeModel, quantizeFlags } from './commands/inspect.js';
import { translate, translateFlags } from './commands/pairs.js';

interface Command {
  run: (argv: string[]) => Promise<void>;
  usage: string;
  about: string;
  flags: Flag[];
}

const commands: Record<string, Command> = {
  demo: { run: demo, usage: '[options]', about: 'Train a character-level GRU on real first names and invent new ones (npm start).', flags: demoFlags },
  train: { run: train, usage: '--csv FILE | --text FILE | --pairs FILE [options]', about: 'Train a model on a CSV time series, on text (one sequence per line, or --stream), or on pairs (a sequence-to-sequence model: source TAB target per line). Ctrl-C stops after the current batch; the last checkpoint stays intact.', flags: trainFlags },
  translate: { run: (argv) => translate(argv, start), usage: 'MODEL [INPUT…] (or lines on stdin) [options]', about: 'Decode inputs with a sequence-to-sequence model (beam search), one output per line.', flags: translateFlags },
  predict: { run: predict, usage: 'MODEL --csv FILE [--steps N]', about: 'Forecast N steps after the end of a CSV series.', flags: predictFlags },
  generate: { run: generate, usage: 'MODEL [options]', about: 'Sample text from a model trained on text.', flags: generateFlags },
  eval: { run: evaluate, usage: 'MODEL --csv FILE | --text FILE', about: 'Report metrics on held-out data.', flags: evalFlags },
  quantize: { run: quantizeModel, usage: 'MODEL [--out FILE]', about: 'Write an int8 copy of a model (weight matrices int8 with row scales: about a quarter of the file; inference only). Every command reads it.', flags: quantizeFlags },
  info: { run: info, usage: '[MODEL] [options]', about: "Print a model's architecture and parameter count, and which backend runs.", flags: infoFlags },
  bench: { run: bench, usage: '[MODEL] [options]', about: 'Time forward passes on wasm SIMD and on pure JS.', flags: benchFlags },
};

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  return ['Usage: simd-rnn <command> [options]', '', 'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)}${c.about}`),
    '', 'simd-rnn <command> --help shows its options; simd-rnn --version the version.'].join('\n');
}

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const cmd = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    console.error(`simd-rnn: unknown ${name.startsWith('-') ? 'flag' : 'command'} ${JSON.stringify(name)} (simd-rnn --help lists the commands)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(name, cmd.usage, cmd.about, cmd.flags));
    return 0;
  }
  try {
    await cmd.run(rest);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(oneLine(`simd-rnn ${e.message.startsWith(`${name}:`) ? e.message : `${name}: ${e.message}`}`));
      return 2;
    }
    if (e instanceof SimdRnnError) {
      const hint = e.code === 'OUT_OF_MEMORY' ? ' (try a smaller --batch, --hidden or --window, or --tbptt)' : '';
      console.error(oneLine(`simd-rnn ${name}: ${e.message}${hint}`));
      return e.code === 'NON_FINITE' ? 1 : 2;
    }
    const code = (e as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      console.error(oneLine(`simd-rnn ${name}: ${(e as Error).message}`));
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 1;
});
