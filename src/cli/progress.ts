// Progress for long jobs: a redrawn bar on a terminal, plain lines otherwise
// (pipes, CI logs), at most a few per second.

export interface ProgressInfo {
  done: number;
  total: number;
  loss: number;
  stepsPerSec: number;
  label?: string;
}

export class Progress {
  private last = 0;
  private readonly start = Date.now();
  constructor(private readonly out: NodeJS.WriteStream = process.stdout, private readonly tty = Boolean(out.isTTY)) {}

  update(p: ProgressInfo, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < (this.tty ? 100 : 2000)) return;
    this.last = now;
    const frac = p.total ? Math.min(1, p.done / p.total) : 0;
    const elapsed = (now - this.start) / 1000;
    const eta = frac > 0 ? elapsed * (1 / frac - 1) : 0;
    const stats = `loss ${p.loss.toFixed(4)}  ${p.stepsPerSec.toFixed(0)} steps/s  ETA ${eta.toFixed(0)}s`;
    if (this.tty) {
      const width = 28, fill = Math.round(frac * width);
      this.out.write(`\r${p.label ?? ''}[${'█'.repeat(fill)}${'·'.repeat(width - fill)}] ${(100 * frac).toFixed(0).padStart(3)}%  ${stats}   `);
    } else {
      this.out.write(`${p.label ?? ''}${p.done}/${p.total} ${stats}\n`);
    }
  }

  end(): void {
    if (this.tty) this.out.write('\n');
  }
}
