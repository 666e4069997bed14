// quantize and info: a model file's int8 copy, and what a model file holds.
import { readFileBytes } from '../../io/file.js';
import { saveFile } from '../../io/model.js';
import { backend } from '../../backend/index.js';
import { Seq2Seq } from '../../model/seq2seq/seq2seq.js';
import { quantize } from '../../quantize.js';
import { resolve as resolvePath } from 'node:path';
import { parseArgs, UsageError, type Flag } from '../args.js';
import { checkWritable } from '../files.js';
import { BACKEND, start, openAny } from './model.js';

export const quantizeFlags: Flag[] = [
  { name: 'out', type: 'string', help: 'the int8 model file to write (default: MODEL with .int8 before .safetensors)' },
  { name: 'dtype', type: 'string', choices: ['int8'], default: 'int8', help: "the weights' type" },
  BACKEND,
];

/** simd-rnn quantize MODEL --out FILE: an int8 copy of a model, with the original's metadata (vocabulary, columns…). */
export async function quantizeModel(argv: string[]): Promise<void> {
  const a = parseArgs('quantize', argv, quantizeFlags, ['MODEL'], 1);
  await start(a);
  const path = a._[0]!;
  const out = (a.out as string | undefined) ?? path.replace(/(\.safetensors)?$/, '.int8.safetensors');
  if (resolvePath(out) === resolvePath(path)) throw new UsageError('quantize: --out is the model file itself; write the int8 copy elsewhere (the f32 model is what trains)');
  await checkWritable(out, 'quantize', '--out');
  const { model, meta } = await openAny('quantize', path);
  if (model.quantized) throw new UsageError(`quantize: ${path} is quantized already`);
  const q = quantize(model, { dtype: 'int8' });
  const keep = Object.fromEntries(Object.entries(meta).filter(([k]) => !['format', 'formatVersion', 'architecture', 'crc32', 'quantized'].includes(k)));
  await saveFile(q, out, keep);
  const before = (await readFileBytes(path)).length, after = (await readFileBytes(out)).length;
  console.log(`wrote ${out}: int8 weights, ${after} bytes (${(after / before).toFixed(2)} of ${path}'s ${before}); inference only`);
}

export const infoFlags: Flag[] = [BACKEND];

export async function info(argv: string[]): Promise<void> {
  const a = parseArgs('info', argv, infoFlags, ['[MODEL]']);
  await start(a);
  if (!a._[0]) {
    console.log(`backend: ${backend()}`);
    return;
  }
  const { model, meta } = await openAny('info', a._[0]);
  if (model instanceof Seq2Seq) {
    console.log(`model: ${a._[0]}\nsequence to sequence; ${model.numParams} parameters${model.quantized ? '; int8 (quantized: inference only)' : ''}\n  ${JSON.stringify(model.config())}`);
    if (meta.kind === 'pairs') console.log(`trained on: pairs (${String(meta.srcTokens).slice(0, 10)} → ${String(meta.tgtTokens).slice(0, 10)})`);
    console.log(`backend: ${backend()}`);
    return;
  }
  const cfg = model.config();
  console.log(`model: ${a._[0]}`);
  console.log(`output: ${cfg.output}; ${model.numParams} parameters${model.quantized ? '; int8 (quantized: inference only)' : ''}`);
  cfg.layers.forEach((l, i) => {
    const { type, ...rest } = l;
    console.log(`  ${i}: ${String(type)} ${JSON.stringify(rest)}`);
  });
  if (meta.kind === 'csv' || meta.kind === 'text') {
    console.log(`trained on: ${meta.kind}${meta.kind === 'csv' ? ` (${String(meta.columns).slice(0, 200)} → ${String(meta.target).slice(0, 40)}, window ${String(meta.window).slice(0, 10)}, horizon ${String(meta.horizon).slice(0, 10)})` : ''}`);
  }
  console.log(`backend: ${backend()}`);
}
