// Runs a test body once per backend, with that backend made current (layers
// bind to the current backend when they are built).
import type { Test } from 'tap';
import { init, type BackendName } from '../../src/index.js';
import { availableBackends } from './backends.js';

export async function forEachCurrentBackend(t: Test, body: (t: Test, name: BackendName) => void | Promise<void>): Promise<void> {
  for (const name of availableBackends()) {
    await init({ backend: name });
    await t.test(name, async (tt) => { await body(tt, name); });
  }
}
