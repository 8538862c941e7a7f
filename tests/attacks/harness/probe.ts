import { request } from 'node:http';

/**
 * Asks /healthz every `everyMs` on a fresh connection, the way a load balancer would. The worst
 * wait counts answers still outstanding when it is read, so a server that stops answering shows.
 */
export class HealthProbe {
  private readonly latencies: number[] = [];
  private readonly pending = new Set<number>();
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly port: number,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.ask(), this.everyMs);
  }

  /** Stops asking and waits (up to 15 s) for the answers still due. */
  async stop(): Promise<{ asked: number; failures: number; worstMs: number }> {
    clearInterval(this.timer);
    const deadline = Date.now() + 15_000;
    while (this.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { asked: this.latencies.length + this.pending.size, failures: this.failures + this.pending.size, worstMs: this.worstMs() };
  }

  worstMs(): number {
    const now = Date.now();
    let worst = Math.max(0, ...this.latencies);
    for (const started of this.pending) worst = Math.max(worst, now - started);
    return worst;
  }

  private ask(): void {
    const started = Date.now();
    this.pending.add(started);
    const done = (ok: boolean) => {
      if (!this.pending.delete(started)) return;
      this.latencies.push(Date.now() - started);
      if (!ok) this.failures += 1;
    };
    const req = request({ host: '127.0.0.1', port: this.port, path: '/healthz', agent: false, timeout: 20_000 }, (res) => {
      res.resume();
      res.once('end', () => done(res.statusCode === 200));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => done(false));
    req.end();
  }
}
