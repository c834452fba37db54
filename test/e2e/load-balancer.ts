/**
 * A load balancer in front of engine processes, for fault tests: each request goes to the next
 * live backend in turn, and one that fails (refused or reset connection, no answer, any status
 * that is not 2xx) is tried again on the next backend, as Telegram redelivers a webhook that got
 * no 2xx and a balancer takes a dead instance out. A request is given up only after `giveUpMs`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the balancer could not place, for the test to report. */
export interface GivenUp {
  path: string;
  attempts: Array<{ backend: string; outcome: string }>;
}

export class LoadBalancer {
  private readonly server: Server;
  private backends: string[] = [];
  private turn = 0;
  /** Requests answered 2xx by some backend, and the ones that never were. */
  delivered = 0;
  readonly givenUp: GivenUp[] = [];
  /** Attempts that failed and were retried elsewhere. */
  retried = 0;

  constructor(private readonly giveUpMs = 90_000) {
    this.server = createServer((request, response) => {
      void this.forward(request, response);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  add(url: string): void {
    if (!this.backends.includes(url)) this.backends.push(url);
  }

  remove(url: string): void {
    this.backends = this.backends.filter((backend) => backend !== url);
  }

  /** Sends one request as a client of the balancer would (the test posting a Telegram update). */
  async post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
    const payload = Buffer.from(JSON.stringify(body));
    const answer = await this.place(
      path,
      'POST',
      { 'content-type': 'application/json', ...headers },
      payload,
    );
    return answer.status;
  }

  private async forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const answer = await this.place(
      request.url ?? '/',
      request.method ?? 'GET',
      headers,
      Buffer.concat(chunks),
    );
    response.writeHead(answer.status, { 'content-type': answer.type });
    response.end(answer.body);
  }

  private async place(
    path: string,
    method: string,
    headers: Record<string, string>,
    body: Buffer,
  ): Promise<{ status: number; type: string; body: Buffer }> {
    const deadline = Date.now() + this.giveUpMs;
    const attempts: GivenUp['attempts'] = [];
    for (;;) {
      const backend = this.backends[this.turn++ % Math.max(1, this.backends.length)];
      if (backend !== undefined) {
        try {
          const answer = await fetch(`${backend}${path}`, {
            method,
            headers,
            ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
            signal: AbortSignal.timeout(30_000),
          });
          const content = Buffer.from(await answer.arrayBuffer());
          if (answer.ok) {
            this.delivered++;
            return {
              status: answer.status,
              type: answer.headers.get('content-type') ?? 'text/plain',
              body: content,
            };
          }
          attempts.push({ backend, outcome: `${answer.status} ${content.toString().slice(0, 200)}` });
        } catch (error) {
          attempts.push({
            backend,
            outcome: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          });
        }
        this.retried++;
      }
      if (Date.now() > deadline) {
        this.givenUp.push({
          path: path.replace(/\/webhooks\/altegio\/[^/?]+/, '/webhooks/altegio/<secret>'),
          attempts,
        });
        return { status: 502, type: 'text/plain', body: Buffer.from('no backend answered') };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
