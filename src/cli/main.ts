#!/usr/bin/env node
// The simd-rnn command-line program.
import { SimdRnnError } from '../errors.js';
import { UsageError, helpText, type Flag } from './args.js';
import { demo, demoFlags } from './commands/demo.js';
import { train, trainFlags, generate, generateFlags, predict, predictFlags, evaluate, evalFlags, info, bench } from './commands/model.js';

interface Command {
  run: (argv: string[]) => Promise<void>;
  usage: string;
  about: string;
  flags: Flag[];
}

const commands: Record<string, Command> = {
  demo: { run: demo, usage: '[options]', about: 'Train a character-level GRU on real first names and invent new ones (npm start).', flags: demoFlags },
  train: { run: train, usage: '--csv FILE | --text FILE [options]', about: 'Train a model on a CSV time series or on text (one sequence per line). Ctrl-C stops after the current batch; the last checkpoint stays intact.', flags: trainFlags },
  predict: { run: predict, usage: 'MODEL --csv FILE [--steps N]', about: 'Forecast N steps after the end of a CSV series.', flags: predictFlags },
  generate: { run: generate, usage: 'MODEL [options]', about: 'Sample text from a model trained on text.', flags: generateFlags },
  eval: { run: evaluate, usage: 'MODEL --csv FILE | --text FILE', about: 'Report metrics on held-out data.', flags: evalFlags },
  info: { run: info, usage: '[MODEL]', about: "Print a model's architecture and parameter count, and which backend runs.", flags: [] },
  bench: { run: bench, usage: '[MODEL] [--batch B] [--steps T]', about: 'Time forward passes on wasm SIMD and on pure JS.', flags: [] },
};

function usage(): string {
  return ['Usage: simd-rnn <command> [options]', '', 'Commands:',
    ...Object.entries(commands).map(([n, c]) => `  ${n.padEnd(10)}${c.about}`),
    '', 'simd-rnn <command> --help shows its options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    console.error(`simd-rnn: unknown command "${name}"\n\n${usage()}`);
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
      console.error(`simd-rnn ${e.message.startsWith(`${name}:`) ? e.message : `${name}: ${e.message}`}`);
      return 2;
    }
    if (e instanceof SimdRnnError) {
      console.error(`simd-rnn ${name}: ${e.message}`);
      return e.code === 'BAD_FILE' || e.code === 'INVALID_ARGUMENT' || e.code === 'SHAPE_MISMATCH' ? 2 : 1;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
  console.error(e);
  process.exitCode = 1;
});
