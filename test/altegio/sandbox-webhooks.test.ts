/**
 * The sandbox delivers webhooks as integrations-hub docs/webhooks.md describes Altegio's: two
 * retries 1.5 s apart, only after a transport error, a 429 or a 5xx, with the shared
 * `Authorization: Bearer` header; then the change is dropped for good.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/altegio/sandbox/index.js';
import { createLogger } from '../../src/log.js';

interface Hit {
  at: number;
  authorization: string | undefined;
}

let sandbox: Sandbox | undefined;
let receiver: Server | undefined;

afterEach(async () => {
  await sandbox?.stop();
  const server = receiver;
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  sandbox = undefined;
  receiver = undefined;
});

/** A receiver answering `statuses` in turn (the last one repeats). */
async function receiverAnswering(statuses: number[]): Promise<{ url: string; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      hits.push({ at: Date.now(), authorization: request.headers.authorization });
      response.writeHead(statuses[Math.min(hits.length - 1, statuses.length - 1)] ?? 200).end();
    });
  });
  receiver = server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits };
}

async function sandboxPosting(url: string): Promise<Sandbox> {
  sandbox = await startSandbox({
    logger: createLogger({ level: 'silent' }),
    webhookUrl: url,
    webhookBearerToken: 'hook-token',
  });
  return sandbox;
}

function change(s: Sandbox): void {
  s.control.updateRecord(101, 601, { comment: 'changed' });
}

describe('sandbox webhook delivery', () => {
  it('retries a 5xx twice, 1.5 s apart, with the bearer header each time', async () => {
    const { url, hits } = await receiverAnswering([503, 500, 500]);
    const s = await sandboxPosting(url);
    change(s);
    await s.webhooksIdle();
    expect(hits).toHaveLength(3);
    expect(hits.map((h) => h.authorization)).toEqual(Array(3).fill('Bearer hook-token'));
    const gaps = hits.slice(1).map((h, i) => h.at - (hits[i]?.at ?? 0));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_450);
  });

  it('retries a 429 and stops at the first success', async () => {
    const { url, hits } = await receiverAnswering([429, 200]);
    const s = await sandboxPosting(url);
    change(s);
    await s.webhooksIdle();
    expect(hits).toHaveLength(2);
  });

  it('does not retry other 4xx answers', async () => {
    const { url, hits } = await receiverAnswering([401]);
    const s = await sandboxPosting(url);
    change(s);
    await s.webhooksIdle();
    expect(hits).toHaveLength(1);
  });
});
