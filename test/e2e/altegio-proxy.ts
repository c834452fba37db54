/**
 * A loopback HTTP proxy in front of the Altegio sandbox that can stop a record write (an edit, a
 * delete, or an online booking's `book_record`) at a chosen point: before it reaches Altegio
 * (`hold`), or after Altegio applied it but before the engine hears the answer
 * (`apply-then-hold`). A held request is never answered, as when the process making it dies;
 * `nextHeld` tells the test, which kills that process.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ProxyMode = 'pass' | 'hold' | 'apply-then-hold';

export interface ForwardedWrite {
  method: string;
  path: string;
  status: number;
}

const isWrite = (request: IncomingMessage) =>
  request.method === 'PUT' ||
  request.method === 'DELETE' ||
  (request.method === 'POST' && (request.url ?? '').startsWith('/book_record/'));

export class AltegioProxy {
  mode: ProxyMode = 'pass';
  /** Record writes that reached the sandbox, with its answer. */
  readonly applied: ForwardedWrite[] = [];
  private held: Array<() => void> = [];
  private server: Server | undefined;

  constructor(private readonly target: string) {}

  /** Resolves when a write is held (the next one, from now). */
  nextHeld(): Promise<void> {
    return new Promise((resolve) => this.held.push(resolve));
  }

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void this.handle(request, Buffer.concat(chunks)).then(
          (answer) => {
            if (!answer) return; // held: never answered
            response.writeHead(answer.status, { 'content-type': answer.type });
            response.end(answer.body);
          },
          () => {
            response.writeHead(502);
            response.end();
          },
        );
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async handle(
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; type: string; body: Buffer } | undefined> {
    const write = isWrite(request);
    if (write && this.mode === 'hold') {
      this.release();
      return undefined;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
    }
    const answer = await fetch(`${this.target}${request.url ?? ''}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    const result = {
      status: answer.status,
      type: answer.headers.get('content-type') ?? 'application/json',
      body: Buffer.from(await answer.arrayBuffer()),
    };
    if (write) {
      this.applied.push({ method: request.method ?? '', path: request.url ?? '', status: answer.status });
      if (this.mode === 'apply-then-hold') {
        this.release();
        return undefined;
      }
    }
    return result;
  }

  private release(): void {
    const waiting = this.held;
    this.held = [];
    for (const resolve of waiting) resolve();
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
