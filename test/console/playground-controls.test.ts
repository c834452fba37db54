/**
 * The playground's sandbox controls on their own, at a fixed time: against the sandbox over HTTP
 * and a real SQLite store, with the webhooks' planning played by the test where it matters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCachedAltegio } from '../../src/altegio/cache.js';
import { createAltegioClient } from '../../src/altegio/client.js';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../../src/altegio/sandbox/index.js';
import { RecordSchema } from '../../src/altegio/schemas.js';
import { createPlaygroundControls } from '../../src/console/playground/controls.js';
import { defaultSettings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';
import { JOB_KIND } from '../../src/notify/jobs.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';
import { eventually } from '../helpers/eventually.js';

/** 08:00 in Moscow, before the default 10:00 sending time of birthday greetings. */
const NOW = Date.parse('2030-03-14T05:00:00Z');
const CLIENT = { phone: '79990001122', name: 'Guest 1122' };

const stops: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function setup() {
  const sandbox: Sandbox = await startSandbox({
    logger: createLogger({ level: 'silent' }),
    now: () => new Date(NOW),
  });
  stops.push(() => sandbox.stop());
  const store: Store = createStore(':memory:', { clock: { now: () => NOW } });
  stops.push(() => store.close());
  const altegio = createCachedAltegio(
    createAltegioClient({
      baseUrl: sandbox.url,
      partnerToken: DEFAULT_PARTNER_TOKEN,
      userToken: DEFAULT_USER_TOKEN,
    }),
  );
  let woken = 0;
  const settings = defaultSettings();
  const controls = createPlaygroundControls({
    control: sandbox.control,
    altegio,
    branchIds: async () => (await altegio.listCompanies({})).map((company) => company.id),
    settings: () => settings,
    store,
    clock: { now: () => NOW },
    logger: createLogger({ level: 'silent' }),
    wakeNotifications: () => {
      woken += 1;
    },
    reminderLeadMs: 60_000,
    feedbackLeadMs: 2_000,
  });
  const mine = async () => {
    const companies = await altegio.listCompanies({});
    return companies
      .flatMap((company) => sandbox.control.listRecords(company.id))
      .map((raw) => RecordSchema.parse(raw))
      .filter((record) => record.client?.phone === CLIENT.phone);
  };
  return { sandbox, store, controls, mine, woken: () => woken, settings };
}

describe('playground controls', () => {
  it('make a visit whose reminder is due after the lead: the visit starts the reminder offset later', async () => {
    const { controls, mine } = await setup();
    const result = await controls.remindSoon(CLIENT);
    expect(result).toMatchObject({ ok: true, key: 'playground.result.reminderPlanned' });
    const [record] = await mine();
    // Default reminder offset 24 h; due one minute from now.
    expect(record?.startsAt).toBe(NOW + 60_000 + 24 * 3_600_000);
    expect(record?.client?.name).toBe('Guest');
    expect(result.params?.due).toBe('08:01:00');
  });

  it('say so when no reminder template is enabled, and make no visit', async () => {
    const { controls, mine, settings } = await setup();
    for (const template of settings.templates) if (template.kind === 'reminder') template.enabled = false;
    expect(await controls.remindSoon(CLIENT)).toMatchObject({
      ok: false,
      key: 'playground.result.noReminderTemplate',
    });
    expect(await mine()).toEqual([]);
  });

  it('mark the newest visit as came and bring its feedback request forward once it is planned', async () => {
    const { controls, mine, store, woken } = await setup();
    expect(await controls.markCame(CLIENT)).toMatchObject({ ok: false, key: 'playground.result.noVisit' });
    await controls.remindSoon(CLIENT);
    expect(await controls.markCame(CLIENT)).toMatchObject({ ok: true, key: 'playground.result.cameMarked' });
    const [record] = await mine();
    expect(record?.attendance).toBe(1);
    // What the planner does with the "came" webhook: a feedback request hours later.
    const key = `feedback:${record?.companyId}:${record?.id}`;
    store.sync.jobs.enqueue({
      kind: JOB_KIND.feedback,
      dueAt: NOW + 26 * 3_600_000,
      dedupeKey: key,
      payload: {},
    });
    const before = woken();
    controls.onPlanned();
    // The planner's hook does not wait: the job moves as soon as the store has written it.
    await eventually(() => expect(store.sync.jobs.byDedupeKey(key)?.dueAt).toBe(NOW + 2_000));
    expect(woken()).toBe(before + 1);
  });

  it('set the birthday to today: before the sending time the greeting waits for it unless asked for now', async () => {
    const { controls, store, sandbox } = await setup();
    store.sync.jobs.enqueue({
      kind: JOB_KIND.birthdayScan,
      dueAt: Date.parse('2030-03-14T07:00:00Z'),
      dedupeKey: 'birthday-scan:2030-03-14',
      payload: { type: 'birthday-scan', day: '2030-03-14' },
    });
    const later = await controls.birthdayToday(CLIENT, { now: false });
    expect(later).toMatchObject({
      ok: true,
      key: 'playground.result.birthdayLater',
      params: { time: '10:00', timezone: 'Europe/Moscow' },
      offerNow: true,
    });
    const clients = [101, 102]
      .flatMap((companyId) => sandbox.control.listClients(companyId))
      .filter((client) => String(client.phone) === `+${CLIENT.phone}`);
    expect(clients.map((client) => String(client.birth_date).slice(5))).toEqual(['03-14']);

    expect(await controls.birthdayToday(CLIENT, { now: true })).toMatchObject({
      ok: true,
      key: 'playground.result.birthdayNow',
    });
    const scans = store.sync.jobs
      .list()
      .filter((job) => job.kind === JOB_KIND.birthdayScan && job.dueAt <= NOW);
    expect(scans).toHaveLength(1);
  });
});
