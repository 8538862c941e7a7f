import { Agent, request } from 'node:http';

/** What one request of the load saw: a status, or the connection error instead of one. */
export interface Outcome {
  kind: 'read' | 'upload';
  /** For uploads: the source naming this upload's beats. */
  source?: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  /** ECONNREFUSED, ECONNRESET, ...: the request got no HTTP answer. */
  error?: string;
  /** For an upload answered 200: the beats the API says it stored. */
  inserted?: number;
}

export interface LoadTarget {
  port: number;
  key: string;
}

/**
 * Clients that keep requesting until stopped, over keep-alive connections (so a server that is
 * closing can answer 503 on a connection it already has); each outcome is recorded with its times.
 */
export class HttpLoad {
  readonly outcomes: Outcome[] = [];
  private stopped = false;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private running: Promise<void>[] = [];

  constructor(private readonly target: LoadTarget) {}

  start(clients: { reads: number; uploads: number }, nextUpload: () => { source: string; body: string }): void {
    const loops = [
      ...Array.from({ length: clients.reads }, () => () => this.read()),
      ...Array.from({ length: clients.uploads }, () => () => this.upload(nextUpload())),
    ];
    this.running = loops.map((once) => this.loop(once));
  }

  async stop(): Promise<Outcome[]> {
    this.stopped = true;
    await Promise.all(this.running);
    this.agent.destroy();
    return this.outcomes;
  }

  private async loop(once: () => Promise<Outcome>): Promise<void> {
    while (!this.stopped) {
      const outcome = await once();
      this.outcomes.push(outcome);
      // A refused connection returns at once; a short pause keeps a down server from a busy loop.
      if (outcome.error) await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async read(): Promise<Outcome> {
    const startedAt = Date.now();
    const answer = await this.send('GET', '/api/v1/predictions?limit=50');
    return { kind: 'read', startedAt, endedAt: Date.now(), ...answer.outcome };
  }

  private async upload(upload: { source: string; body: string }): Promise<Outcome> {
    const startedAt = Date.now();
    const answer = await this.send('POST', '/api/v1/ecgs', upload.body);
    const inserted = answer.outcome.status === 200 ? (JSON.parse(answer.text) as { inserted: number }).inserted : undefined;
    return { kind: 'upload', source: upload.source, startedAt, endedAt: Date.now(), ...answer.outcome, ...(inserted === undefined ? {} : { inserted }) };
  }

  private send(method: string, path: string, body?: string): Promise<{ outcome: Pick<Outcome, 'status' | 'error'>; text: string }> {
    return new Promise((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.target.port,
          method,
          path,
          agent: this.agent,
          headers: { authorization: `Bearer ${this.target.key}`, ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ outcome: { status: res.statusCode }, text: Buffer.concat(chunks).toString() }));
          res.on('error', (e: NodeJS.ErrnoException) => resolve({ outcome: { error: e.code ?? e.message }, text: '' }));
        },
      );
      req.on('error', (e: NodeJS.ErrnoException) => resolve({ outcome: { error: e.code ?? e.message }, text: '' }));
      req.end(body);
    });
  }
}
