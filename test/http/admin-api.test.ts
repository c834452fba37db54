import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettingsFile } from '../../src/config/settings-file.js';
import { createSettingsHolder, type SettingsHolder } from '../../src/config/settings-holder.js';
import type { Clock } from '../../src/domain/clock.js';
import type { Settings } from '../../src/domain/settings.js';
import { ADMIN_API_OFF_MESSAGE, flattenStateValue, registerAdminApi } from '../../src/http/admin-api.js';
import { createHttpServer } from '../../src/http/server.js';
import { createEngine } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';

const TOKEN = 'admin-secret';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const NOW = Date.parse('2026-03-10T09:00:00.000Z');

/** An authorised `PUT /api/settings` with this document. */
const putSettings = (app: FastifyInstance, payload: Record<string, unknown>) =>
  app.inject({ method: 'PUT', url: '/api/settings', headers: AUTH, payload });

interface Harness {
  app: FastifyInstance;
  store: Store;
  holder: SettingsHolder;
  settingsFile: string;
}

interface Problem {
  path: string;
  message: string;
  value?: unknown;
}

describe('admin API', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // An options object, not a defaulted parameter: `harness(undefined)` must mean "no token".
  async function harness(options: { token?: string } = { token: TOKEN }): Promise<Harness> {
    const { token } = options;
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const settingsFile = join(dir.path, 'settings.yaml');
    writeFileSync(settingsFile, 'general:\n  timezone: Europe/Moscow\n');
    const loaded = await loadSettingsFile(settingsFile, { explicit: true });
    if (!loaded.ok) throw loaded.error;
    const holder = createSettingsHolder(loaded.settings, settingsFile);
    const clock: Clock = { now: () => NOW };
    const store = createStore(join(dir.path, 'bot.sqlite'), { clock });
    cleanups.push(() => store.close());
    const app = createHttpServer({ logger: createLogger({ level: 'silent' }), metrics: createMetrics() });
    registerAdminApi(app, { token, store, settings: holder, clock });
    await app.ready();
    cleanups.push(() => app.close());
    return { app, store, holder, settingsFile };
  }

  describe('auth', () => {
    it('refuses a request without a token or with a wrong one with 401', async () => {
      const { app } = await harness();
      for (const headers of [{}, { authorization: 'Bearer guess' }, { authorization: TOKEN }]) {
        const response = await app.inject({ method: 'GET', url: '/api/tasks', headers });
        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual({ error: 'missing or wrong bearer token' });
      }
      const put = await app.inject({ method: 'PUT', url: '/api/settings', payload: { records: {} } });
      expect(put.statusCode).toBe(401);
    });

    it('answers 404 saying the admin API is off when no token is configured', async () => {
      const { app, holder } = await harness({});
      for (const [method, url] of [
        ['GET', '/api/settings'],
        ['GET', '/api/tasks'],
        ['POST', '/api/tasks/1/done'],
        ['GET', '/api/dialogues'],
        ['GET', '/api/deliveries'],
      ] as const) {
        const response = await app.inject({ method, url, headers: AUTH });
        expect(response.statusCode, `${method} ${url}`).toBe(404);
        expect(response.json()).toEqual({ error: ADMIN_API_OFF_MESSAGE });
        expect(ADMIN_API_OFF_MESSAGE).toContain('ADMIN_TOKEN');
      }
      const put = await putSettings(app, { records: { cancellation: 'delete' } });
      expect(put.statusCode).toBe(404);
      expect(holder.get().records.cancellation).toBe('no-show');
    });
  });

  describe('settings', () => {
    it('GET answers the whole current document, durations as text', async () => {
      const { app, holder } = await harness();
      const response = await app.inject({ method: 'GET', url: '/api/settings', headers: AUTH });
      expect(response.statusCode).toBe(200);
      const body = response.json<Settings>();
      expect(body).toEqual(JSON.parse(JSON.stringify(holder.get())));
      expect(body.general.timezone).toBe('Europe/Moscow');
      expect(typeof body.records.groupingWindow).toBe('string');
      expect(body.templates.length).toBeGreaterThan(0);
    });

    it('PUT merges a partial document, applies it at once and saves it to the file', async () => {
      const { app, holder, settingsFile } = await harness();
      const response = await putSettings(app, { records: { cancellation: 'delete' } });
      expect(response.statusCode).toBe(200);
      const body = response.json<Settings>();
      expect(body.records.cancellation).toBe('delete');
      // The rest of the document is kept, not replaced by the partial one.
      expect(body.general.timezone).toBe('Europe/Moscow');
      expect(holder.get().records.cancellation).toBe('delete');

      const reloaded = await loadSettingsFile(settingsFile, { explicit: true });
      expect(reloaded.ok && reloaded.settings.records.cancellation).toBe('delete');
      expect(reloaded.ok && reloaded.settings).toEqual(holder.get());

      const again = await app.inject({ method: 'GET', url: '/api/settings', headers: AUTH });
      expect(again.json<Settings>().records.cancellation).toBe('delete');
    });

    it('PUT with a bad value answers 400 naming the key path and changes nothing', async () => {
      const { app, holder, settingsFile } = await harness();
      const before = holder.get();
      const fileBefore = readFileSync(settingsFile, 'utf8');
      // The valid half must not be applied either: the document is validated whole.
      const response = await putSettings(app, {
        general: { timezone: 'UTC' },
        records: { cancellation: 'cancel' },
      });
      expect(response.statusCode).toBe(400);
      const body = response.json<{ error: string; problems: Problem[] }>();
      expect(body.error).toBe('invalid settings');
      expect(body.problems).toEqual([
        { path: 'records.cancellation', value: 'cancel', message: expect.stringContaining('"delete"') },
      ]);
      expect(holder.get()).toBe(before);
      expect(holder.get().general.timezone).toBe('Europe/Moscow');
      expect(readFileSync(settingsFile, 'utf8')).toBe(fileBefore);
    });

    it('PUT names an unknown key and a wrong type by their dotted paths', async () => {
      const { app } = await harness();
      const response = await putSettings(app, {
        records: { cancelation: 'delete' },
        general: { testMode: 'yes' },
      });
      expect(response.statusCode).toBe(400);
      const paths = response.json<{ problems: Problem[] }>().problems.map((problem) => problem.path);
      expect(paths).toEqual(expect.arrayContaining(['records.cancelation', 'general.testMode']));
    });

    it('PUT with a body that is not a JSON object answers 400', async () => {
      const { app, holder, settingsFile } = await harness();
      const fileBefore = readFileSync(settingsFile, 'utf8');
      for (const payload of ['[1,2]', '"delete"', '42', 'null', '{"records":']) {
        const response = await app.inject({
          method: 'PUT',
          url: '/api/settings',
          headers: { ...AUTH, 'content-type': 'application/json' },
          payload,
        });
        expect(response.statusCode, payload).toBe(400);
        expect(typeof response.json<{ error: string }>().error).toBe('string');
      }
      const empty = await app.inject({ method: 'PUT', url: '/api/settings', headers: AUTH });
      expect(empty.statusCode).toBe(400);
      expect(holder.get().records.cancellation).toBe('no-show');
      expect(readFileSync(settingsFile, 'utf8')).toBe(fileBefore);
    });

    it("PUT with a stale If-Match ETag answers 409 and keeps the other admin's change", async () => {
      const { app, holder } = await harness();
      const loaded = await app.inject({ method: 'GET', url: '/api/settings', headers: AUTH });
      const etag = loaded.headers.etag;
      expect(typeof etag).toBe('string');
      const first = await app.inject({
        method: 'PUT',
        url: '/api/settings',
        headers: { ...AUTH, 'if-match': String(etag) },
        payload: { records: { cancellation: 'delete' } },
      });
      expect(first.statusCode).toBe(200);
      expect(first.headers.etag).not.toBe(etag);
      const second = await app.inject({
        method: 'PUT',
        url: '/api/settings',
        headers: { ...AUTH, 'if-match': String(etag) },
        payload: { booking: { askFullName: true } },
      });
      expect(second.statusCode).toBe(409);
      expect(second.json<{ error: string }>().error).toMatch(/changed by someone else/);
      expect(holder.get().records.cancellation).toBe('delete');
      expect(holder.get().booking.askFullName).toBe(false);
    });
  });

  describe('tasks', () => {
    /** A poor rating's task as the feedback dialogue files it; the API answers the same fields. */
    const POOR = {
      kind: 'poor-rating',
      title: 'Rating 2 for record 9001',
      recordId: 9001,
      companyId: 101,
      clientPhone: '79161234567',
      rating: 2,
      comment: 'The master was late',
    } as const;

    function seedTasks(store: Store) {
      const poor = store.sync.tasks.create({ ...POOR, at: NOW - 60_000 });
      const status = store.sync.tasks.create({
        kind: 'status-change',
        title: 'Client did not come',
        recordId: 9002,
        companyId: 101,
        at: NOW,
      });
      return { poor, status };
    }

    it('GET lists tasks newest first in the documented shape', async () => {
      const { app, store } = await harness();
      const { poor, status } = seedTasks(store);
      const response = await app.inject({ method: 'GET', url: '/api/tasks', headers: AUTH });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual([
        {
          id: status.id,
          kind: 'status-change',
          title: 'Client did not come',
          recordId: 9002,
          companyId: 101,
          clientPhone: null,
          createdAt: '2026-03-10T09:00:00.000Z',
          done: false,
        },
        {
          id: poor.id,
          ...POOR,
          createdAt: '2026-03-10T08:59:00.000Z',
          done: false,
        },
      ]);
    });

    it('POST done marks a task done, idempotently, and ?done= filters the list', async () => {
      const { app, store } = await harness();
      const { poor, status } = seedTasks(store);
      const url = `/api/tasks/${poor.id}/done`;
      const first = await app.inject({ method: 'POST', url, headers: AUTH });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ id: poor.id, kind: 'poor-rating', done: true, rating: 2 });
      const second = await app.inject({ method: 'POST', url, headers: AUTH });
      expect(second.statusCode).toBe(200);
      expect(second.json()).toEqual(first.json());
      expect(store.sync.tasks.get(poor.id)?.doneAt).toBe(NOW);

      const open = await app.inject({ method: 'GET', url: '/api/tasks?done=false', headers: AUTH });
      expect(open.json<Array<{ id: number }>>().map((task) => task.id)).toEqual([status.id]);
      const finished = await app.inject({ method: 'GET', url: '/api/tasks?done=true', headers: AUTH });
      expect(finished.json<Array<{ id: number }>>().map((task) => task.id)).toEqual([poor.id]);
      const bad = await app.inject({ method: 'GET', url: '/api/tasks?done=yes', headers: AUTH });
      expect(bad.statusCode).toBe(400);
    });

    it('POST done answers 404 for an unknown task and 400 for an id that is not a number', async () => {
      const { app } = await harness();
      const unknown = await app.inject({ method: 'POST', url: '/api/tasks/999/done', headers: AUTH });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ error: 'no task 999' });
      const bad = await app.inject({ method: 'POST', url: '/api/tasks/abc/done', headers: AUTH });
      expect(bad.statusCode).toBe(400);
    });
  });

  describe('dialogues', () => {
    it('GET lists active dialogues with their state, next deadline and a masked phone', async () => {
      const { app, store } = await harness();
      const telegram = store.sync.conversations.upsert('telegram', '555', { phone: '79161234567' });
      /** A dialogue of a conversation whose snapshot is `status` at `value`. */
      const dialogue = (
        conversationId: number,
        machineId: string,
        machineVersion: number,
        status: string,
        value: unknown,
      ) => ({ conversationId, machineId, machineVersion, snapshot: { status, value, context: {} } });
      const booking = store.sync.dialogues.create(
        dialogue(telegram.id, 'booking', 3, 'active', { service: 'choosing' }),
      );
      store.sync.timers.schedule(booking.id, {
        sendId: 'late',
        event: { type: 'xstate.after.late' },
        dueAt: NOW + 3_600_000,
      });
      store.sync.timers.schedule(booking.id, {
        sendId: 'soon',
        event: { type: 'xstate.after.soon' },
        dueAt: NOW + 600_000,
      });

      const whatsapp = store.sync.conversations.upsert('whatsapp', '79031112233@c.us');
      const reminder = store.sync.dialogues.create({
        ...dialogue(whatsapp.id, 'reminder', 1, 'active', 'waiting'),
        recordId: 9001,
      });

      const other = store.sync.conversations.upsert('telegram', '777');
      const finished = store.sync.dialogues.create(dialogue(other.id, 'booking', 3, 'done', 'done'));
      store.sync.dialogues.setStatus(finished.id, 'done');

      const response = await app.inject({ method: 'GET', url: '/api/dialogues', headers: AUTH });
      expect(response.statusCode).toBe(200);
      const list = response.json<Array<Record<string, unknown>>>();
      expect(list.map((dialogue) => dialogue.id).sort()).toEqual([booking.id, reminder.id].sort());
      expect(list.find((dialogue) => dialogue.id === booking.id)).toEqual({
        id: booking.id,
        machine: 'booking',
        version: 3,
        state: 'service.choosing',
        channel: 'telegram',
        chatId: '555',
        phone: '+7***4567',
        recordId: null,
        updatedAt: '2026-03-10T09:00:00.000Z',
        nextDeadline: '2026-03-10T09:10:00.000Z',
      });
      expect(list.find((dialogue) => dialogue.id === reminder.id)).toMatchObject({
        machine: 'reminder',
        state: 'waiting',
        channel: 'whatsapp',
        phone: null,
        recordId: 9001,
        nextDeadline: null,
      });
      expect(JSON.stringify(list)).not.toContain('79161234567');
    });

    it('flattens nested state values into dotted paths', () => {
      expect(flattenStateValue('idle')).toBe('idle');
      expect(flattenStateValue({ service: 'choosing' })).toBe('service.choosing');
      expect(flattenStateValue({ booking: { slot: { time: 'asking' } } })).toBe('booking.slot.time.asking');
      expect(flattenStateValue({ a: 'x', b: { c: 'y' } })).toBe('a.x, b.c.y');
      expect(flattenStateValue(42)).toBeNull();
    });
  });

  describe('deliveries', () => {
    it('GET filters by phone or record and refuses a bad phone', async () => {
      const { app, store } = await harness();
      store.sync.deliveries.add({
        companyId: 101,
        recordId: 9001,
        clientPhone: '79161234567',
        kind: 'reminder',
        decision: 'sent',
        reason: 'sent on telegram',
      });
      const byPhone = await app.inject({
        method: 'GET',
        url: `/api/deliveries?phone=${encodeURIComponent('+7 916 123-45-67')}`,
        headers: AUTH,
      });
      expect(byPhone.json()).toHaveLength(1);
      const byRecord = await app.inject({ method: 'GET', url: '/api/deliveries?record=9002', headers: AUTH });
      expect(byRecord.json()).toEqual([]);
      const bad = await app.inject({ method: 'GET', url: '/api/deliveries?phone=abc', headers: AUTH });
      expect(bad.statusCode).toBe(400);
    });
  });

  it('end to end through the engine: a PUT is seen by the next GET and survives a restart', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const settingsFile = join(dir.path, 'settings.yaml');
    writeFileSync(settingsFile, '{}\n');
    const start = async () => {
      const engine = createEngine({
        env: { ADMIN_TOKEN: 't' },
        databasePath: join(dir.path, 'bot.sqlite'),
        settingsFile,
        port: 0,
        logger: createLogger({ level: 'silent' }),
      });
      cleanups.push(() => engine.stop());
      return { engine, url: (await engine.start()).url };
    };
    const headers = { authorization: 'Bearer t' };

    const first = await start();
    const put = await fetch(`${first.url}/api/settings`, {
      method: 'PUT',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ records: { cancellation: 'delete' } }),
    });
    expect(put.status).toBe(200);
    const got = (await (await fetch(`${first.url}/api/settings`, { headers })).json()) as Settings;
    expect(got.records.cancellation).toBe('delete');
    await first.engine.stop();

    const second = await start();
    const after = (await (await fetch(`${second.url}/api/settings`, { headers })).json()) as Settings;
    expect(after.records.cancellation).toBe('delete');
  });
});
