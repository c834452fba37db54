/**
 * The operator's commands, run as `altegio-bot tenant …` against a Postgres database, and the
 * salon they add served by `altegio-bot start` with OPERATOR_TOKEN.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { startTestPostgres, type TestDatabase, type TestPostgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/tmp.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'altegio-bot.js');

interface Run {
  child: ChildProcess;
  output(): string;
  /** `out`: stdout and stderr as they came; `stdout`: what scripts read. */
  done: Promise<{ code: number | null; out: string; stdout: string }>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    out += String(chunk);
    stdout += String(chunk);
  });
  child.stderr?.on('data', (chunk) => (out += String(chunk)));
  const done = new Promise<{ code: number | null; out: string; stdout: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, out, stdout })),
  );
  return { child, output: () => out, done };
}

describe('altegio-bot tenant', () => {
  let server: TestPostgres;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startTestPostgres();
    database = await server.createDatabase();
    env = { DATABASE_URL: database.url };
  }, 60_000);
  afterAll(async () => {
    await database?.drop();
    await server?.stop();
  });

  it('adds, lists and removes a salon, which a running host serves in between', async () => {
    const dir = tempDir('altegio-bot-tenant-');
    const settingsFile = join(dir.path, 'salon.yaml');
    writeFileSync(settingsFile, 'booking:\n  replyTimeout: 25m\n');
    const added = await run(
      ['tenant', 'add', 'salon-x', '--name', 'Salon X', '--settings', settingsFile],
      env,
    ).done;
    expect(added.code).toBe(0);
    const access = JSON.parse(added.stdout) as { adminToken: string; urls: { api: string } };
    expect(access.urls.api).toMatch(/\/t\/salon-x\/api$/);
    // Without a public address the operator is told the URLs are local ones.
    expect(added.out).toContain('TELEGRAM_WEBHOOK_URL is not set');
    const published = await run(['tenant', 'add', 'salon-y'], {
      ...env,
      TELEGRAM_WEBHOOK_URL: 'https://bots.example.com',
    }).done;
    expect(published.code).toBe(0);
    expect(published.out).not.toContain('is not set');
    expect(JSON.parse(published.stdout)).toMatchObject({
      urls: { telegramWebhook: 'https://bots.example.com/t/salon-y/webhooks/telegram' },
    });
    expect((await run(['tenant', 'remove', 'salon-y'], env).done).code).toBe(0);

    const again = await run(['tenant', 'add', 'salon-x'], env).done;
    expect(again.code).toBe(1);
    expect(again.out).toContain('already exists');
    const bad = await run(['tenant', 'add', 'Salon_X'], env).done;
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('id:');

    const listed = await run(['tenant', 'list'], env).done;
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out.trim())).toMatchObject({
      id: 'salon-x',
      name: 'Salon X',
      altegio: 'sandbox',
    });
    expect(listed.out).not.toContain(access.adminToken);

    const host = run(['start'], { ...env, OPERATOR_TOKEN: 'op', PORT: '0', LOG_LEVEL: 'info' });
    let url = '';
    try {
      await eventually(async () => {
        // The host logs where it listens; its salon answers its own token there.
        url = /serving many salons on (http:\/\/[\d.:]+)/.exec(host.output())?.[1] ?? '';
        expect(url).not.toBe('');
        const response = await fetch(`${url}/t/salon-x/api/settings`, {
          headers: { authorization: `Bearer ${access.adminToken}` },
        });
        expect(response.status).toBe(200);
        expect(((await response.json()) as { booking: { replyTimeout: string } }).booking.replyTimeout).toBe(
          '25m',
        );
      }, 60_000);
      const removed = await run(['tenant', 'remove', 'salon-x'], env).done;
      expect(removed.code).toBe(0);
      expect((await fetch(`${url}/t/salon-x/api/settings`)).status).toBe(404);
      expect((await run(['tenant', 'remove', 'salon-x'], env).done).code).toBe(1);
      const none = await run(['tenant', 'list'], env).done;
      expect(none.code).toBe(0);
      expect(none.out).toContain('no salons yet');
    } finally {
      host.child.kill('SIGTERM');
      await host.done;
      dir.cleanup();
    }
  }, 120_000);
});
