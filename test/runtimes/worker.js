// A Cloudflare Worker (run by workerd in worker.test.ts): the SIMD .wasm and a
// saved model arrive as modules; POST JSON { x, shape } and get the model's
// prediction back. With ?bytes it hands init() the wasm as raw bytes, which
// Workers refuse to compile: that must fail loudly, not fall back silently.
// 'simd-rnn' resolves to the package's "workerd" entry (dist/edge.js), which
// imports the wasm builds as modules; the bundle maps them to simd.wasm etc.
import { init, io, tensor, threads, detectFeatures } from 'simd-rnn';
import wasmBytes from './simd.bin';
import modelBytes from './model.safetensors';

let model = null;

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.searchParams.has('bytes')) {
        const name = await init({ module: new Uint8Array(wasmBytes), backend: 'wasm-simd' });
        return new Response(`initialized ${name} from bytes`, { status: 200 });
      }
      if (!model) {
        const name = await init();
        if (name !== 'wasm-simd') throw new Error(`expected wasm-simd, got ${name}`);
        model = io.load(new Uint8Array(modelBytes));
      }
      const body = await request.json();
      const y = model.predict(tensor(new Float32Array(body.x), body.shape));
      return Response.json({ y: Array.from(y.data), shape: y.shape, threads: threads(), features: detectFeatures().threads });
    } catch (e) {
      return new Response(`error: ${e && e.message}`, { status: 500 });
    }
  },
};
