// Every optimizer against torch.optim (fixtures from
// test/fixtures/make_optim_fixtures.py, made with real PyTorch), over 6
// steps, on every backend: parameters within 1e-5 absolute + 1e-4 relative.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { io, optim, getBackend, schedules, type Optimizer } from '../../src/index.js';
import { forEachCurrentBackend } from '../helpers/current.js';
import { close } from '../helpers/backends.js';

const { tensors, metadata } = io.readSafetensorsFile(readFileSync(new URL('../fixtures/optim/torch_optim.safetensors', import.meta.url)));
const cases = JSON.parse(metadata.cases!) as { name: string; cls: string; kw: Record<string, unknown> }[];

function make(cls: string, kw: Record<string, unknown>): Optimizer {
  const o: Record<string, unknown> = {};
  const rename: Record<string, string> = { weight_decay: 'weightDecay', lr_decay: 'lrDecay', initial_accumulator_value: 'initialAccumulatorValue' };
  for (const [k, v] of Object.entries(kw)) o[rename[k] ?? k] = v;
  switch (cls) {
    case 'SGD': return optim.sgd(o);
    case 'Adam': return optim.adam(o);
    case 'AdamW': return optim.adamw(o);
    case 'RMSprop': return optim.rmsprop(o);
    default: return optim.adagrad(o);
  }
}

t.ok(cases.length >= 11, `${cases.length} torch.optim cases`);

t.test('optimizers follow torch.optim step by step', async (t) => {
  await forEachCurrentBackend(t, (t) => {
    const be = getBackend();
    for (const c of cases) {
      const p0 = tensors[`${c.name}.p0`]!.data, g = tensors[`${c.name}.g`]!, want = tensors[`${c.name}.p`]!;
      const [steps, n] = g.shape as [number, number];
      const opt = make(c.cls, c.kw);
      const pp = be.heap.alloc(n), pg = be.heap.alloc(n);
      be.heap.write(pp, p0);
      opt.bind(be, n);
      for (let s = 0; s < steps; s++) {
        be.heap.write(pg, g.data.subarray(s * n, (s + 1) * n));
        opt.update(pp, pg, opt.lr);
        close(t, be.heap.read(pp, n), want.data.subarray(s * n, (s + 1) * n), 1e-5, 1e-4, `${c.name} step ${s + 1}`);
      }
      t.equal(opt.steps, steps);
      // State survives a round trip (checkpoints).
      const st = opt.getState();
      const again = make(c.cls, c.kw);
      again.bind(be, n);
      again.setState(st);
      t.same(again.getState(), st, `${c.name}: state round trip`);
      opt.dispose(); again.dispose();
      be.heap.free(pp); be.heap.free(pg);
    }
  });
});

t.test('schedules', async (t) => {
  const st = schedules.step({ stepSize: 2, gamma: 0.5 });
  t.same([1, 2, 3, 4, 5].map(st), [1, 1, 0.5, 0.5, 0.25]);
  const ex = schedules.exponential({ gamma: 0.9 });
  t.equal(ex(1), 1); t.ok(Math.abs(ex(3) - 0.81) < 1e-12);
  const cos = schedules.cosine({ totalSteps: 10, minFactor: 0.1 });
  t.equal(cos(1), 1); t.ok(Math.abs(cos(11) - 0.1) < 1e-12); t.ok(Math.abs(cos(6) - 0.55) < 1e-12);
  const wu = schedules.warmup({ warmupSteps: 4, after: ex });
  t.same([1, 2, 3, 4].map(wu), [0.25, 0.5, 0.75, 1]);
  t.ok(Math.abs(wu(6) - 0.9) < 1e-12);
  t.throws(() => schedules.step({ stepSize: 0 }), { message: /schedules\.step: stepSize is 0/ });
});

t.test('bad optimizer options', async (t) => {
  t.throws(() => optim.adam({ lr: -1 }), { message: 'optim.adam: lr is -1, expected a number in (0, ∞)' });
  t.throws(() => optim.adam({ betas: [0.9, 1.5] }), { message: /optim\.adam: betas\[1\] is 1\.5, expected a number in \[0, 1\]/ });
  t.throws(() => optim.sgd({ nesterov: true }), { message: /nesterov is true, expected false unless momentum > 0/ });
  t.throws(() => optim.rmsprop({ alpha: 2 }), { message: /optim\.rmsprop: alpha is 2/ });
  t.throws(() => optim.adagrad({ eps: NaN }), { message: /optim\.adagrad: eps is NaN/ });
  const o = optim.sgd();
  t.throws(() => o.setState({ step: 1, buffers: [] }), { message: /compile first/ });
});
