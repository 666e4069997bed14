// The hand-off between the pool (threads.ts) and its workers: a slot of the
// heap per worker (its layout below) and the worker's own code, as a
// self-contained source (no file to resolve, no bundler configuration):
// Node runs it with worker_threads' eval, browsers from a Blob URL. The
// worker spins on its slot's generation, claims the part (compare-and-swap
// on CLAIM: the main thread may have run it already), runs the kernel and
// says DONE.

/** Bytes of a worker's slot: 16 i32 of control, up to 24 f64 arguments, then a failure's message (UTF-16). */
export const SLOT = 512;
export const GEN = 0, DONE = 1, KERNEL = 2, NARGS = 3, STATUS = 4, STOP = 5, W_SLEEPS = 6, M_SLEEPS = 7, MSG_LEN = 8, CLAIM = 9, HOLD = 10;
/** Generations count in [1, MAX_GEN]; CLAIM holds a posted generation, or it | CLAIMED once someone runs it. */
export const MAX_GEN = 0x3fffffff, CLAIMED = 0x40000000;
export const ARGS = 64; // byte offset of the f64 arguments in a slot
export const MSG = 256, MSG_CHARS = 120; // byte offset and length of the message
/** Spins (Atomics.load) before a thread sleeps in Atomics.wait: about 0.35 ms here (an Atomics.load took ~18 ns), so a batch's steps find the worker awake. */
export const SPIN = 20000;

// The worker.
export const WORKER_SOURCE = `
const port = typeof require === 'function' ? require('node:worker_threads').parentPort : self;
const on = (f) => (port.on ? port.on('message', f) : (port.onmessage = (e) => f(e.data)));
on((d) => {
  if (d.type !== 'start') return;
  let fns, i32, f64, base;
  try {
    const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
    inst.exports.set_scratch(d.scratch);
    fns = d.names.map((n) => inst.exports[n]);
    i32 = new Int32Array(d.memory.buffer, d.slot, ${SLOT / 4});
    f64 = new Float64Array(d.memory.buffer, d.slot + ${ARGS}, ${(SLOT - ARGS) / 8});
  } catch (e) {
    port.postMessage({ type: 'error', message: String(e && e.message || e) });
    return;
  }
  // The generation seen is read BEFORE saying ready: the first part may be posted the moment the main thread hears it.
  let seen = Atomics.load(i32, ${GEN});
  // One argument array for every part (a wasm export ignores arguments past its own).
  const a = new Array(${(SLOT - ARGS) / 8}).fill(0);
  port.postMessage({ type: 'ready' });
  for (;;) {
    let spins = 0, gen;
    // (The generation that ended the wait is the one claimed: read again, it could be another's.)
    while ((gen = Atomics.load(i32, ${GEN})) === seen) {
      if (++spins > ${SPIN}) {
        // Say so before sleeping (the main thread notifies only a sleeper), then look again.
        Atomics.store(i32, ${W_SLEEPS}, 1);
        // (Woken every 100 ms at most: a thread parked without a timeout cannot be stopped at exit.)
        if (Atomics.load(i32, ${GEN}) === seen) Atomics.wait(i32, ${GEN}, seen, 100);
        Atomics.store(i32, ${W_SLEEPS}, 0);
        spins = 0;
      }
    }
    seen = gen;
    if (Atomics.load(i32, ${STOP})) return;
    // (Tests of a late worker hold it here.)
    while (Atomics.load(i32, ${HOLD})) Atomics.wait(i32, ${HOLD}, 1, 100);
    // The main thread ran this part itself (this worker came late): wait for the next.
    if (Atomics.compareExchange(i32, ${CLAIM}, seen, seen | ${CLAIMED}) !== seen) continue;
    const n = i32[${NARGS}];
    for (let j = 0; j < n; j++) a[j] = f64[j];
    let status = 0;
    try { fns[i32[${KERNEL}]].apply(null, a); } catch (e) {
      status = 1;
      const m = String(e && e.message || e).slice(0, ${MSG_CHARS}), u16 = new Uint16Array(d.memory.buffer, d.slot + ${MSG}, ${MSG_CHARS});
      for (let j = 0; j < m.length; j++) u16[j] = m.charCodeAt(j);
      i32[${MSG_LEN}] = m.length;
    }
    Atomics.store(i32, ${STATUS}, status);
    Atomics.store(i32, ${DONE}, seen);
    if (Atomics.load(i32, ${M_SLEEPS})) Atomics.notify(i32, ${DONE});
  }
});
`;
