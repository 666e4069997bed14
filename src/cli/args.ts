// A small flag parser for the CLI: --name value, --name=value, --flag; typed,
// validated, with generated help. Misuse is a UsageError (exit code 2).

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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

export function parseArgs(cmd: string, argv: string[], flags: readonly Flag[]): Parsed {
  const out: Parsed = { _: [] };
  for (const f of flags) if (f.default !== undefined) out[f.name] = f.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { out._.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const f = flags.find((x) => x.name === name);
    if (!f) throw new UsageError(`${cmd}: unknown flag --${name} (see simd-rnn ${cmd} --help)`);
    if (f.type === 'bool') {
      if (eq >= 0) {
        const v = a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`${cmd}: --${name} is "${v}", expected true or false`);
        out[name] = v === 'true';
      } else out[name] = true;
      continue;
    }
    const raw = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`${cmd}: --${name} needs a value`);
    if (f.type === 'string') {
      if (f.choices && !f.choices.includes(raw)) throw new UsageError(`${cmd}: --${name} is "${raw}", expected one of ${f.choices.join(', ')}`);
      out[name] = raw;
    } else {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || (f.type === 'int' && !Number.isInteger(v))) {
        throw new UsageError(`${cmd}: --${name} is "${raw}", expected ${f.type === 'int' ? 'an integer' : 'a number'}`);
      }
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) {
        throw new UsageError(`${cmd}: --${name} is ${v}, expected a value in [${f.min ?? '-∞'}, ${f.max ?? '∞'}]`);
      }
      out[name] = v;
    }
  }
  return out;
}

export function helpText(cmd: string, usage: string, about: string, flags: readonly Flag[]): string {
  const lines = [`Usage: simd-rnn ${cmd} ${usage}`, '', about, ''];
  if (flags.length) lines.push('Options:');
  for (const f of flags) {
    const v = f.type === 'bool' ? '' : f.choices ? ` <${f.choices.join('|')}>` : ` <${f.type}>`;
    const d = f.default !== undefined && f.default !== false ? ` (default ${f.default})` : '';
    lines.push(`  --${f.name}${v}`.padEnd(34) + f.help + d);
  }
  return lines.join('\n');
}
