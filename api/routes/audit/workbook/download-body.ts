import { Readable, Writable } from 'node:stream';

/** The client closed the connection before the download ended. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
  constructor() {
    super('the client closed the connection before the download ended');
  }
}

/**
 * The body of a download that is generated while it is sent, with backpressure the producer can
 * wait on.
 *
 * exceljs's streaming writer ignores backpressure: it pushes every 64 KiB of sheet XML into the
 * compressor whether or not the client keeps up, so a slow reader would make everything pile up
 * in memory. So `sink` (what the zip is written to) never pushes back, and the producer instead
 * awaits `room()` between slices of rows, which waits while a buffer's worth of the file is still
 * unread. If the reader leaves (the body is destroyed before its end), `room()` throws
 * ClientGoneError, so the work stops at the next slice.
 */
export class DownloadBody extends Readable {
  readonly sink: Writable;
  private readonly gone = new AbortController();
  private readonly wantMore = new Set<() => void>();
  private markBegun: () => void = () => {};
  /** Resolves once the producer has read its first page: the moment to answer 200 and start sending. */
  readonly begun: Promise<void> = new Promise((resolve) => (this.markBegun = resolve));

  constructor(bufferBytes = 256 * 1024) {
    super({ highWaterMark: bufferBytes });
    this.sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        // Dropped once the reader is gone: nobody will read it.
        if (!this.destroyed) this.push(chunk);
        done();
      },
      final: (done) => {
        if (!this.destroyed) this.push(null);
        done();
      },
    });
  }

  begin(): void {
    this.markBegun();
  }

  /** Waits until the reader has taken what was buffered; throws once it has gone away. */
  async room(): Promise<void> {
    while (this.readableLength >= this.readableHighWaterMark) {
      this.throwIfGone();
      await new Promise<void>((resolve) => this.wantMore.add(resolve));
    }
    this.throwIfGone();
  }

  override _read(): void {
    this.wakeProducer();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Destroyed before the end: the client went away (Fastify destroys a body whose reply closed early).
    if (!this.readableEnded) this.gone.abort(new ClientGoneError());
    this.wakeProducer();
    callback(error);
  }

  private throwIfGone(): void {
    if (this.gone.signal.aborted || this.destroyed) throw this.gone.signal.reason ?? new ClientGoneError();
  }

  private wakeProducer(): void {
    const waiting = [...this.wantMore];
    this.wantMore.clear();
    for (const resolve of waiting) resolve();
  }
}
