import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type EngineInfo } from '../../src/index.js';
import { createLogger } from '../../src/log.js';
import { createStore } from '../../src/store/index.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET = 's3cret-path';

function recordWebhook(overrides: Record<string, unknown> = {}) {
  return {
    company_id: 101,
    resource: 'record',
    resource_id: 9001,
    status: 'create',
    data: {
      id: 9001,
      company_id: 101,
      staff_id: 1001,
      staff: { id: 1001, name: 'Anna' },
      services: [{ id: 301, title: 'Haircut', cost: 1500 }],
      client: { id: 501, name: 'Elena', phone: '+79161234567' },
      date: '2026-03-11 12:00:00',
      datetime: '2026-03-11T12:00:00+03:00',
      seance_length: 3600,
      attendance: 0,
      visit_attendance: 0,
      deleted: false,
      create_date: '2026-03-10T09:00:00+0300',
      last_change_date: '2026-03-10T09:00:00+0300',
      ...overrides,
    },
  };
}

describe('POST /webhooks/altegio/:secret', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(): Promise<EngineInfo & { dbPath: string }> {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, 'settings.yaml'), '{}\n');
    const dbPath = join(dir.path, 'bot.sqlite');
    const engine = createEngine({
      env: { WEBHOOK_SECRET: SECRET },
      databasePath: dbPath,
      settingsFile: join(dir.path, 'settings.yaml'),
      port: 0,
      logger: createLogger({ level: 'silent' }),
    });
    cleanups.push(() => engine.stop());
    return { ...(await engine.start()), dbPath };
  }

  const post = (url: string, body: string, secret = SECRET) =>
    fetch(`${url}/webhooks/altegio/${secret}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });

  it('refuses a wrong secret with 401', async () => {
    const { url } = await start();
    expect((await post(url, JSON.stringify(recordWebhook()), 'guess')).status).toBe(401);
  });

  it('refuses invalid JSON and a body that is not an Altegio webhook with 400 and the reason', async () => {
    const { url } = await start();
    expect((await post(url, '{"company_id": 1,')).status).toBe(400);
    const missing = await post(
      url,
      JSON.stringify({ company_id: 101, resource: 'record', status: 'create' }),
    );
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { reason: string }).reason).toContain('resource_id');
  });

  it('refuses a body over 256 KB with 413', async () => {
    const { url } = await start();
    const huge = JSON.stringify(recordWebhook({ comment: 'x'.repeat(300 * 1024) }));
    expect((await post(url, huge)).status).toBe(413);
  });

  it('stores a valid webhook once: the same delivery again is acknowledged as a duplicate', async () => {
    const { url, dbPath } = await start();
    const body = JSON.stringify(recordWebhook());
    const first = await post(url, body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, duplicate: false });
    expect(await (await post(url, body)).json()).toEqual({ ok: true, duplicate: true });
    const store = createStore(dbPath);
    cleanups.push(() => store.close());
    await eventually(() => expect(store.sync.records.get(101, 9001)?.clientPhone).toBe('79161234567'));
  });

  it('acknowledges resources it does not act on', async () => {
    const { url } = await start();
    const body = JSON.stringify({
      company_id: 101,
      resource: 'goods_operations_sale',
      resource_id: 5,
      status: 'create',
      data: {},
    });
    expect((await post(url, body)).status).toBe(200);
  });

  it('keeps the newer record when an older update arrives late', async () => {
    const { url, dbPath } = await start();
    await post(
      url,
      JSON.stringify(recordWebhook({ attendance: 2, last_change_date: '2026-03-10T10:00:00+0300' })),
    );
    await post(
      url,
      JSON.stringify(recordWebhook({ attendance: 0, last_change_date: '2026-03-10T09:30:00+0300' })),
    );
    const store = createStore(dbPath);
    cleanups.push(() => store.close());
    await eventually(() => store.sync.inbound.unprocessed().length === 0);
    expect(store.sync.records.get(101, 9001)?.attendance).toBe(2);
  });
});
