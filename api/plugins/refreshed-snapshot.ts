/** What a caller gets: the latest value read, if the latest read succeeded, and when it was read. */
export interface SnapshotState<T> {
  /** Absent when nothing was read yet or the latest read failed. */
  value: T | undefined;
  /** When the latest successful read started (ms since the epoch), even if a later one failed; undefined before the first. */
  readAt: number | undefined;
}

export interface RefreshedSnapshotOptions {
  /** A read starts at most this often (ms), failed reads included, so a dead database is not asked per caller. */
  refreshMs: number;
  /** The longest a caller waits for a read in flight before it is given what is already held. */
  waitMs: number;
  onReadStart?: () => void;
  /** After each read: how long it took, and its error if it failed. */
  onReadEnd?: (ms: number, error?: unknown) => void;
  now?: () => number;
}

/**
 * A value read from a slow source, re-read at most once per interval and never twice at once.
 * Callers within the interval get the value held; a caller after it starts the read (or joins the
 * one in flight) and waits for it at most `waitMs`, then takes what is held.
 */
export class RefreshedSnapshot<T> {
  private held: { value: T; readAt: number } | undefined;
  private latestFailed = false;
  private lastStartedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;

  constructor(
    /** Gets the previous value read, so a read can carry work forward. */
    private readonly read: (previous: T | undefined) => Promise<T>,
    private readonly options: RefreshedSnapshotOptions,
  ) {}

  async current(): Promise<SnapshotState<T>> {
    if (this.inFlight === undefined && this.now() - this.lastStartedAt >= this.options.refreshMs) {
      // Cleared in a later microtask, so never before it is set, even when the read fails at once.
      this.inFlight = this.refresh().finally(() => (this.inFlight = undefined));
    }
    if (this.inFlight !== undefined) await waitAtMost(this.inFlight, this.options.waitMs);
    return { value: this.latestFailed ? undefined : this.held?.value, readAt: this.held?.readAt };
  }

  private async refresh(): Promise<void> {
    const startedAt = (this.lastStartedAt = this.now());
    this.options.onReadStart?.();
    try {
      const value = await this.read(this.held?.value);
      this.held = { value, readAt: startedAt };
      this.latestFailed = false;
      this.options.onReadEnd?.(this.now() - startedAt);
    } catch (error) {
      this.latestFailed = true;
      this.options.onReadEnd?.(this.now() - startedAt, error);
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

function waitAtMost(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
