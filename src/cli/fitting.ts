// A fit with the CLI's progress bar, Ctrl-C as an abort after the current
// batch, and the checkpoint's fate said plainly when stopped.
import type { History, Logs } from '../model/contracts.js';
import { Progress } from './progress.js';
import { exists } from './files.js';

type Callbacks = { onBatchEnd: (b: number, logs: Logs) => void; onEpochEnd: (e: number, logs: Logs & { valLoss?: number }) => void };

/** Runs fit(callbacks, signal); returns true when Ctrl-C stopped it (exit code 130 set). */
export async function fitWithProgress(ckpt: string, epochs: number, perEpoch: number, fit: (callbacks: Callbacks, signal: AbortSignal) => Promise<History>): Promise<boolean> {
  const ctl = new AbortController();
  const onSigint = (): void => { ctl.abort(); };
  process.once('SIGINT', onSigint);
  const progress = new Progress();
  let done = 0, ema = NaN;
  const t0 = performance.now();
  try {
    const h = await fit({
      onBatchEnd: (_b, logs) => {
        done++;
        if (Number.isFinite(logs.loss)) ema = Number.isNaN(ema) ? logs.loss : 0.95 * ema + 0.05 * logs.loss;
        progress.update({ done, total: epochs * perEpoch, loss: ema, stepsPerSec: done / ((performance.now() - t0) / 1000), label: 'training ' });
      },
      onEpochEnd: (e, logs) => {
        progress.end();
        console.log(`epoch ${e + 1}/${epochs}: loss ${logs.loss.toFixed(4)}${logs.valLoss !== undefined ? `, validation ${logs.valLoss.toFixed(4)}` : ''}`);
      },
    }, ctl.signal);
    if (h.stopped === 'aborted') {
      progress.end();
      console.log(await exists(ckpt)
        ? `stopped; the last checkpoint (${ckpt}) is intact: resume with --resume`
        : 'stopped before the first checkpoint was written: none exists, there is nothing to resume');
      process.exitCode = 130;
      return true;
    }
    return false;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
