// The trained model exported to ONNX (io.toOnnx) and run by onnxruntime-node
// on the example's test inputs: its outputs must be predict's, within
// 2e-4 + 2e-3·|y| each. onnxruntime-node is one of the benchmark peers
// (npm run setup:peers); without it the check says so and passes.
import { createRequire } from 'node:module';
import { io } from '../dist/index.js';

export async function onnxCheck(model, x, lengths) {
  let ort;
  try {
    ort = createRequire(new URL('../bench/peers/package.json', import.meta.url))('onnxruntime-node');
  } catch {
    console.log('ONNX check skipped: onnxruntime-node is not installed (npm run setup:peers)');
    return;
  }
  const ours = model.predict(x, lengths ? { lengths } : {}).data;
  const bytes = io.toOnnx(model, { lengths: lengths !== undefined });
  const session = await ort.InferenceSession.create(bytes);
  const feeds = { x: x.shape.length === 2 ? new ort.Tensor('int64', BigInt64Array.from(x.data, (v) => BigInt(v)), x.shape) : new ort.Tensor('float32', x.data, x.shape) };
  if (lengths) feeds.lengths = new ort.Tensor('int32', Int32Array.from(lengths), [lengths.length]);
  const y = (await session.run(feeds)).y.data;
  let worst = 0, maxAbs = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(y[i] - ours[i]);
    maxAbs = Math.max(maxAbs, d);
    worst = Math.max(worst, d / (2e-4 + 2e-3 * Math.abs(ours[i])));
  }
  const ok = y.length === ours.length && worst <= 1;
  console.log(`ONNX (${(bytes.length / 1024).toFixed(0)} kB) in onnxruntime-node on the ${x.shape[0]} test inputs: max |Δ| ${maxAbs.toExponential(2)} from predict (${ok ? 'within' : 'BEYOND'} 2e-4 + 2e-3·|y|)`);
  if (!ok) process.exitCode = 1;
}
