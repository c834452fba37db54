import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/index.js';
import { createStore } from '../src/store/index.js';
import { captureLogs } from './helpers/capture-logs.js';
import { eventually } from './helpers/eventually.js';
import { tempDir } from './helpers/tmp.js';

describe('createEngine', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startEngine(): Promise<{
    engine: Engine;
    url: string;
    sandboxUrl: string | undefined;
    dir: string;
    lines: Array<Record<string, unknown>>;
  }> {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const { lines, logger } = captureLogs();
    writeFileSync(join(dir.path, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\n');
    const engine = createEngine({
      env: {},
      databasePath: join(dir.path, 'data', 'bot.sqlite'),
      settingsFile: join(dir.path, 'settings.yaml'),
      port: 0,
      logger,
    });
    cleanups.push(() => engine.stop());
    const { url, sandboxUrl } = await engine.start();
    return { engine, url, sandboxUrl, dir: dir.path, lines };
  }

  it('serves /health with version and uptime on a fresh folder', async () => {
    const { url, dir } = await startEngine();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      mode: 'sandbox',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(typeof body.uptimeSeconds).toBe('number');
    expect(existsSync(join(dir, 'data', 'bot.sqlite'))).toBe(true);
  });

  it('serves Prometheus metrics that count the requests it served', async () => {
    const { url } = await startEngine();
    await fetch(`${url}/health`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('# TYPE altegio_bot_uptime_seconds gauge');
    expect(text).toMatch(/altegio_bot_http_requests_total\{route="\/health",status="200"\} 1/);
  });

  it('says in the log what is not configured', async () => {
    const { lines } = await startEngine();
    const messages = lines.map((line) => String(line.msg));
    expect(messages).toContain('TELEGRAM_BOT_TOKEN is not set: Telegram is off');
    expect(messages.some((message) => message.includes('sandbox mode'))).toBe(true);
  });

  it('stops: the port is closed afterwards and a second stop is harmless', async () => {
    const { engine, url } = await startEngine();
    await engine.stop();
    await engine.stop();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it("in sandbox mode, receives the sandbox salon's record changes as webhooks", async () => {
    const { sandboxUrl, dir, lines } = await startEngine();
    expect(sandboxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.some((line) => String(line.msg).includes(`sandbox Altegio at ${sandboxUrl}`))).toBe(true);
    const state = (await (await fetch(`${sandboxUrl}/__sandbox/state`)).json()) as {
      data: { records: Array<{ id: number; company_id: number; deleted: boolean; attendance: number }> };
    };
    const record = state.data.records.find((candidate) => !candidate.deleted && candidate.attendance === 0);
    if (!record) throw new Error('the sandbox seed has no waiting record');
    const changed = await fetch(
      `${sandboxUrl}/__sandbox/records/${record.company_id}/${record.id}/attendance`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ attendance: 2 }),
      },
    );
    expect(changed.status).toBe(200);
    const store = createStore(join(dir, 'data', 'bot.sqlite'));
    try {
      await eventually(() =>
        expect(store.sync.records.get(record.company_id, record.id)?.attendance).toBe(2),
      );
    } finally {
      store.close();
    }
  });
});
