import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLifecycle, type Part } from '../src/engine/lifecycle.js';
import { createEngine, type EngineErrorContext, type EngineOptions } from '../src/index.js';
import { FakeTelegramServer } from './fakes/telegram-server.js';
import { captureLogs } from './helpers/capture-logs.js';
import { eventually } from './helpers/eventually.js';
import { tempDir } from './helpers/tmp.js';

/** The parts named in the log lines with `msg`, in order. */
const partsLogged = (lines: Array<Record<string, unknown>>, msg: string) =>
  lines.filter((line) => line.msg === msg).map((line) => line.part);

describe('the lifecycle of parts', () => {
  function recorded(name: string, events: string[], fail?: 'start' | 'stop'): Part {
    return {
      name,
      async start() {
        events.push(`start ${name}`);
        if (fail === 'start') throw new Error(`${name} cannot start`);
      },
      async stop() {
        events.push(`stop ${name}`);
        if (fail === 'stop') throw new Error(`${name} cannot stop`);
      },
    };
  }

  it('starts parts in order and stops them in reverse', async () => {
    const events: string[] = [];
    const lifecycle = createLifecycle(captureLogs().logger);
    for (const name of ['a', 'b', 'c']) await lifecycle.start(recorded(name, events));
    await lifecycle.stop();
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
  });

  it('a part that fails to start stops the ones started before it, and not itself', async () => {
    const events: string[] = [];
    const lifecycle = createLifecycle(captureLogs().logger);
    await lifecycle.start(recorded('a', events));
    await lifecycle.start(recorded('b', events));
    await expect(lifecycle.start(recorded('c', events, 'start'))).rejects.toThrow('c cannot start');
    expect(events).toEqual(['start a', 'start b', 'start c', 'stop b', 'stop a']);
    // Nothing is left to stop a second time.
    await lifecycle.stop();
    expect(events).toHaveLength(5);
  });

  it('a part that fails to stop does not keep the earlier ones running', async () => {
    const events: string[] = [];
    const { lines, logger } = captureLogs();
    const lifecycle = createLifecycle(logger);
    await lifecycle.start(recorded('a', events));
    await lifecycle.start(recorded('b', events, 'stop'));
    await lifecycle.stop();
    expect(events).toEqual(['start a', 'start b', 'stop b', 'stop a']);
    expect(lines.find((line) => line.msg === 'stopping a part failed')).toMatchObject({
      part: 'b',
      level: 50,
    });
  });
});

describe('createEngine parts', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function engineIn(dir: string, options: EngineOptions = {}) {
    const { lines, logger } = captureLogs();
    const engine = createEngine({
      env: {},
      databasePath: join(dir, 'data', 'bot.sqlite'),
      settingsFile: join(dir, 'settings.yaml'),
      port: 0,
      logger,
      ...options,
    });
    cleanups.push(() => engine.stop());
    return { engine, lines };
  }

  function folder(): string {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\n');
    return dir.path;
  }

  async function takenPort(): Promise<number> {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    return address.port;
  }

  it('stops its parts in reverse order of starting', async () => {
    const { engine, lines } = engineIn(folder());
    await engine.start();
    await engine.stop();
    const order = ['store', 'altegio', 'dialogues', 'http', 'channels', 'workers', 'sync'];
    expect(partsLogged(lines, 'part started')).toEqual(order);
    expect(partsLogged(lines, 'part stopped')).toEqual([...order].reverse());
  });

  it('when the port is taken, start fails and what had started is stopped; a later start works', async () => {
    const dir = folder();
    const port = await takenPort();
    const { engine, lines } = engineIn(dir, { port, host: '127.0.0.1' });
    await expect(engine.start()).rejects.toThrow(`cannot listen on 127.0.0.1:${port}`);
    expect(partsLogged(lines, 'part started')).toEqual(['store', 'altegio', 'dialogues']);
    expect(partsLogged(lines, 'part stopped')).toEqual(['dialogues', 'altegio', 'store']);
    // Same folder, free port: nothing of the failed start is left holding it.
    const again = engineIn(dir);
    const { url } = await again.engine.start();
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('when Telegram rejects the bot token, start fails and the server and the parts before it are stopped', async () => {
    const telegram = new FakeTelegramServer({ token: '1:right' });
    const { apiRoot } = await telegram.start();
    cleanups.push(() => telegram.stop());
    const port = await takenPort();
    // Freed again, so that the engine's server listens on it and the test can see it closed.
    await cleanups.pop()?.();
    const { engine, lines } = engineIn(folder(), {
      env: { TELEGRAM_BOT_TOKEN: '1:wrong', TELEGRAM_API_ROOT: apiRoot },
      port,
      host: '127.0.0.1',
    });
    await expect(engine.start()).rejects.toThrow();
    expect(partsLogged(lines, 'part started')).toEqual(['store', 'altegio', 'dialogues', 'http']);
    expect(partsLogged(lines, 'part stopped')).toEqual(['http', 'dialogues', 'altegio', 'store']);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    // Nothing leaked into the log: the token is part of every Bot API URL.
    expect(JSON.stringify(lines)).not.toContain('1:wrong');
  });

  /** A job row another process wrote with a payload that is not JSON: the jobs worker cannot read it. */
  function corruptJob(dir: string): void {
    const db = new Database(join(dir, 'data', 'bot.sqlite'));
    try {
      const now = Date.now();
      db.prepare(
        `INSERT INTO jobs (kind, due_at, dedupe_key, payload, created_at, updated_at)
         VALUES ('reminder', ?, 'corrupt:1', '{not json', ?, ?)`,
      ).run(now - 1000, now, now);
    } finally {
      db.close();
    }
  }

  it("hands a worker's failure to the error hook with the part it came from, and keeps serving", async () => {
    const dir = folder();
    // A first start creates the database; the corrupt row is written while it is stopped.
    const first = engineIn(dir);
    await first.engine.start();
    await first.engine.stop();
    corruptJob(dir);
    const seen: EngineErrorContext[] = [];
    const { engine, lines } = engineIn(dir, { onError: (context) => seen.push(context) });
    const { url } = await engine.start();
    await eventually(() => expect(seen.some((context) => context.part === 'notifications')).toBe(true));
    const failure = seen.find((context) => context.part === 'notifications');
    expect(failure?.error).toBeInstanceOf(SyntaxError);
    expect(failure?.during).toBe('running notification jobs');
    // The hook replaced the default: the engine logged no line of its own for it.
    expect(lines.some((line) => line.msg === 'running notification jobs failed')).toBe(false);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });

  it('logs a webhook that could not be processed through the default hook, phone masked and secret kept', async () => {
    const dir = folder();
    const secret = 'hook-secret-0123456789';
    const first = engineIn(dir);
    await first.engine.start();
    await first.engine.stop();
    // The record mirror is gone (say, a broken manual migration): ingest cannot store the record.
    const db = new Database(join(dir, 'data', 'bot.sqlite'));
    db.exec('ALTER TABLE records RENAME TO records_gone');
    db.close();
    const { engine, lines } = engineIn(dir, { env: { WEBHOOK_SECRET: secret } });
    const { url } = await engine.start();
    const response = await fetch(`${url}/webhooks/altegio/${secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        company_id: 42,
        resource: 'record',
        resource_id: 9001,
        status: 'update',
        data: {
          id: 9001,
          company_id: 42,
          staff_id: 11,
          services: [],
          client: { id: 501, name: 'Maria', phone: '+7 (916) 123-45-67' },
          date: '2026-03-14 10:00:00',
          datetime: '2026-03-14T10:00:00+03:00',
          seance_length: 3600,
          attendance: 0,
          deleted: false,
        },
      }),
    });
    expect(response.status).toBe(200);
    const line = await eventually(() => {
      const found = lines.find((candidate) => candidate.part === 'ingest' && candidate.level === 50);
      if (!found) throw new Error('no ingest error logged yet');
      return found;
    });
    expect(String(line.msg)).toMatch(/^processing Altegio webhook .+ failed$/);
    expect(JSON.stringify(line.err)).toContain('records');
    const everything = JSON.stringify(lines);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('123-45-67');
  });

  it('hands a failed sync with Altegio to the error hook as part sync, and keeps it for /health', async () => {
    // An Altegio that refuses this salon's records (a revoked user token, say): 403 is not retried.
    const altegio = createHttpServer((_request, response) => {
      response.writeHead(403, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ success: false, data: null, meta: { message: 'No access to this salon' } }),
      );
    });
    await new Promise<void>((resolve) => altegio.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => altegio.close(() => resolve())));
    const address = altegio.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const dir = folder();
    writeFileSync(join(dir, 'settings.yaml'), 'general:\n  timezone: Europe/Moscow\nbranches:\n  - id: 42\n');
    const seen: EngineErrorContext[] = [];
    const { engine } = engineIn(dir, {
      env: {
        ALTEGIO_API_URL: `http://127.0.0.1:${address.port}/api/v1`,
        ALTEGIO_PARTNER_TOKEN: 'partner-token',
        ALTEGIO_USER_TOKEN: 'user-token',
      },
      onError: (context) => seen.push(context),
    });
    const { url } = await engine.start();
    const failure = await eventually(() => {
      const found = seen.find((context) => context.part === 'sync');
      if (!found) throw new Error('no sync failure reported yet');
      return found;
    });
    expect(failure.during).toBe('reconciling the records of branch 42 with Altegio');
    expect(String((failure.error as Error).message)).toContain('No access to this salon');
    const health = (await (await fetch(`${url}/health`)).json()) as {
      sync: { branches: Array<{ companyId: number; lastError: string | null }> };
    };
    expect(health.sync.branches.find((branch) => branch.companyId === 42)?.lastError).toContain(
      'No access to this salon',
    );
  });

  it('engine.catch replaces the hook, and a hook that throws does not take the worker down', async () => {
    const dir = folder();
    const first = engineIn(dir);
    await first.engine.start();
    await first.engine.stop();
    corruptJob(dir);
    const { engine, lines } = engineIn(dir);
    const parts: string[] = [];
    engine.catch(({ part }) => {
      parts.push(part);
      throw new Error('the hook is broken too');
    });
    const { url } = await engine.start();
    await eventually(() => expect(parts).toContain('notifications'));
    expect(lines.some((line) => line.msg === 'the error hook itself threw')).toBe(true);
    // The original error is still logged, once, by the default.
    expect(lines.some((line) => line.msg === 'running notification jobs failed')).toBe(true);
    expect((await fetch(`${url}/health`)).status).toBe(200);
  });
});
