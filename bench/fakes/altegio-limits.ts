/**
 * Altegio's published limits as a loopback HTTP proxy in front of the sandbox: at most 5 requests
 * in any second and 200 in any minute from this client (developer.alteg.io, "API limits"); beyond
 * either it answers 429 like Altegio and forwards nothing. Refused requests do not count. Altegio
 * does not document a `Retry-After` header, so none is sent: the client must cope without it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AltegioLimits {
  perSecond?: number;
  perMinute?: number;
}

/** One request that reached the sandbox. */
export interface AltegioCall {
  method: string;
  path: string;
  status: number;
  /** When the sandbox answered (ms epoch). */
  at: number;
}

export class LimitedAltegio {
  /** Requests answered 429 by the limits. */
  refused = 0;
  readonly calls: AltegioCall[] = [];
  private readonly second: number[] = [];
  private readonly minute: number[] = [];
  private readonly perSecond: number;
  private readonly perMinute: number;
  private server: Server | undefined;

  constructor(
    private readonly target: string,
    limits: AltegioLimits = {},
  ) {
    this.perSecond = limits.perSecond ?? 5;
    this.perMinute = limits.perMinute ?? 200;
  }

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void this.forward(request, Buffer.concat(chunks)).then(
          ({ status, type, body }) => {
            response.writeHead(status, { 'content-type': type });
            response.end(body);
          },
          () => {
            response.writeHead(502);
            response.end();
          },
        );
      });
    });
    server.keepAliveTimeout = 60_000;
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private admit(now: number): boolean {
    while (this.second.length > 0 && (this.second[0] ?? 0) <= now - 1_000) this.second.shift();
    while (this.minute.length > 0 && (this.minute[0] ?? 0) <= now - 60_000) this.minute.shift();
    if (this.second.length >= this.perSecond || this.minute.length >= this.perMinute) return false;
    this.second.push(now);
    this.minute.push(now);
    return true;
  }

  private async forward(
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; type: string; body: Buffer | string }> {
    if (!this.admit(Date.now())) {
      this.refused += 1;
      return {
        status: 429,
        type: 'application/json',
        body: JSON.stringify({ success: false, data: null, meta: { message: 'Too Many Requests' } }),
      };
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
    this.calls.push({
      method: request.method ?? 'GET',
      path: (request.url ?? '').split('?')[0] ?? '',
      status: answer.status,
      at: Date.now(),
    });
    return result;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
