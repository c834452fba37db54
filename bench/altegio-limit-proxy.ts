/**
 * A loopback proxy in front of the Altegio sandbox that refuses what Altegio refuses: more than
 * 5 requests in any second or 200 in any minute from one client (developer.alteg.io, "Limits").
 * A refused request gets 429 in Altegio's error envelope and does not count (Altegio does not
 * document whether refused requests count, nor a `Retry-After`; none is sent). Everything else
 * is forwarded as is and logged with its arrival time.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyLimit {
  max: number;
  windowMs: number;
}

export interface LimitProxy {
  url: string;
  /** Arrival times (ms epoch) of forwarded requests. */
  forwarded: number[];
  /** Forwarded requests per endpoint (`GET /book_times`, path cut after its first segment). */
  byEndpoint: Map<string, number>;
  /** Forwarded requests with Altegio's answer, in the order they were answered. */
  calls: ForwardedCall[];
  /** Requests answered 429. */
  refused: number;
  close(): Promise<void>;
}

/** One forwarded request: what it was and how the sandbox answered. */
export interface ForwardedCall {
  method: string;
  /** Path without the query (`/record/101/5001`). */
  path: string;
  status: number;
  /** When the answer came (ms epoch). */
  at: number;
}

const ALTEGIO_PUBLISHED: readonly ProxyLimit[] = [
  { max: 5, windowMs: 1_000 },
  { max: 200, windowMs: 60_000 },
];

export async function startAltegioLimitProxy(
  target: string,
  limits: readonly ProxyLimit[] = ALTEGIO_PUBLISHED,
): Promise<LimitProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const forwarded: number[] = [];
  const byEndpoint = new Map<string, number>();
  const calls: ForwardedCall[] = [];
  const proxy: LimitProxy = { url: '', forwarded, byEndpoint, calls, refused: 0, close: async () => {} };

  function admit(now: number): boolean {
    for (const { max, windowMs } of limits) {
      // `forwarded` ascends, so the request `max` back decides whether the window is full.
      const index = forwarded.length - max;
      if (index >= 0 && (forwarded[index] ?? 0) > now - windowMs) return false;
    }
    return true;
  }

  function refuse(res: ServerResponse): void {
    proxy.refused += 1;
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        success: false,
        data: null,
        meta: { message: 'Too many requests' },
        errors: { code: 429, message: 'Too many requests' },
      }),
    );
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const now = Date.now();
    if (!admit(now)) {
      req.resume();
      refuse(res);
      return;
    }
    forwarded.push(now);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const endpoint = `${req.method} /${path.split('/')[1] ?? ''}`;
    byEndpoint.set(endpoint, (byEndpoint.get(endpoint) ?? 0) + 1);
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
        agent,
      },
      (answer) => {
        calls.push({ method: req.method ?? 'GET', path, status: answer.statusCode ?? 502, at: Date.now() });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      agent.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
