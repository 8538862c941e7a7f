import { readFile } from 'node:fs/promises';

/** Samples a process's resident memory from /proc every `everyMs`; keeps the peak. */
export class RssSampler {
  private peakBytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number,
    private readonly everyMs = 50,
  ) {}

  async start(): Promise<number> {
    const now = await this.sample();
    this.timer = setInterval(() => void this.sample(), this.everyMs);
    return now;
  }

  async stop(): Promise<number> {
    clearInterval(this.timer);
    await this.sample();
    return this.peakBytes;
  }

  private async sample(): Promise<number> {
    const status = await readFile(`/proc/${this.pid}/status`, 'utf8').catch(() => '');
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    this.peakBytes = Math.max(this.peakBytes, kb * 1024);
    return kb * 1024;
  }
}
