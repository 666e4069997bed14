// The CLI's flags: Node's util.parseArgs in strict mode (unknown flags,
// undefined single-dash forms and stray arguments are errors), then typed and
// range-checked here, with generated help. Misuse is a UsageError (exit 2).
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A decimal number as the CLI accepts it (flags and CSV cells): no hex, no Infinity, no empty string. */
export const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export interface Flag {
  name: string;
  type: 'string' | 'number' | 'int' | 'bool';
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  min?: number;
  max?: number;
}

export interface Parsed {
  _: string[];
  [flag: string]: string | number | boolean | string[] | undefined;
}

/**
 * Parses argv for `cmd`. `positionals` names the positional arguments the
 * command takes (e.g. ['MODEL']); `required` of them must be given; with
 * `variadic` the last may repeat.
 */
export function parseArgs(cmd: string, argv: string[], flags: readonly Flag[], positionals: readonly string[] = [], required = 0, variadic = false): Parsed {
  const options: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const f of flags) options[f.name] = { type: f.type === 'bool' ? 'boolean' : 'string' };
  let values: Record<string, string | boolean | undefined>, rest: string[];
  try {
    ({ values, positionals: rest } = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (e) {
    const err = e as Error & { code?: string };
    const name = /'([^']+)'/.exec(err.message)?.[1]?.replace(/ <value>$/, '');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`${cmd}: unknown flag ${name ?? ''} (see simd-rnn ${cmd} --help)`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const f = flags.find((x) => `--${x.name}` === name);
      if (f?.type === 'bool') throw new UsageError(`${cmd}: ${name} takes no value (it is a switch)`);
      throw new UsageError(`${cmd}: ${name ?? 'a flag'} needs a value${/starting with a dash/.test(err.message) ? ` (write ${name}=VALUE for a value that starts with -)` : ''}`);
    }
    throw new UsageError(`${cmd}: ${err.message}`);
  }
  if (rest.length > positionals.length && !variadic) {
    const extra = rest.slice(positionals.length).map((a) => JSON.stringify(a)).join(' ');
    throw new UsageError(`${cmd}: unexpected argument ${extra} (${positionals.length ? `it takes ${positionals.join(' ')}` : 'it takes no arguments'}; see simd-rnn ${cmd} --help)`);
  }
  if (rest.length < required) throw new UsageError(`${cmd}: give ${positionals.slice(0, required).join(' ')} (see simd-rnn ${cmd} --help)`);
  const out: Parsed = { _: rest };
  for (const f of flags) {
    const raw = values[f.name];
    if (raw === undefined) {
      if (f.default !== undefined) out[f.name] = f.default;
      continue;
    }
    if (f.type === 'bool') { out[f.name] = raw as boolean; continue; }
    const s = raw as string;
    if (f.type === 'string') {
      if (f.choices && !f.choices.includes(s)) throw new UsageError(`${cmd}: --${f.name} is "${s}", expected one of ${f.choices.join(', ')}`);
      out[f.name] = s;
      continue;
    }
    const v = Number(s);
    if (!DECIMAL.test(s.trim()) || !Number.isFinite(v) || (f.type === 'int' && !Number.isInteger(v))) {
      throw new UsageError(`${cmd}: --${f.name} is "${s}", expected ${f.type === 'int' ? 'an integer' : 'a number'}`);
    }
    if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) {
      throw new UsageError(`${cmd}: --${f.name} is ${v}, expected a value in [${f.min ?? '-∞'}, ${f.max ?? '∞'}]`);
    }
    out[f.name] = v;
  }
  return out;
}

export function helpText(cmd: string, usage: string, about: string, flags: readonly Flag[]): string {
  const lines = [`Usage: simd-rnn ${cmd} ${usage}`, '', about, '', 'Options:'];
  for (const f of flags) {
    const v = f.type === 'bool' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type}>`;
    const d = f.default !== undefined && f.default !== false && f.default !== '' ? ` (default ${f.default})` : '';
    lines.push(`  --${f.name}${v}`.padEnd(34) + f.help + d);
  }
  lines.push('  --help, -h'.padEnd(34) + 'show this help');
  return lines.join('\n');
}
