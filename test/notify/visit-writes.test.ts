import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAltegioClient } from '../../src/altegio/client.js';
import {
  DEFAULT_PARTNER_TOKEN,
  DEFAULT_USER_TOKEN,
  type Sandbox,
  startSandbox,
} from '../../src/altegio/sandbox/index.js';
import { parseSettings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';
import type { VisitWriteJob } from '../../src/notify/jobs.js';
import { createVisitWrites } from '../../src/notify/visit-writes.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';

const BRANCH = 101;
const parsed = parseSettings({ general: { channelPriority: ['telegram'] }, branches: [{ id: BRANCH }] });
if (!parsed.ok) throw new Error('test settings');
const settings = parsed.settings;

describe('visit writes cost Altegio one call on a first try with a fresh mirror', () => {
  let sandbox: Sandbox;
  let store: Store;
  let dir: string;
  let now = Date.now();
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'visit-writes-'));
    store = createStore(join(dir, 'bot.sqlite'));
    sandbox = await startSandbox({ logger: createLogger({ level: 'silent' }) });
    now = Date.now();
  });
  afterEach(async () => {
    await sandbox.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function writes(fresh = true) {
    return createVisitWrites({
      store,
      altegio: createAltegioClient({
        baseUrl: `${sandbox.url}/`,
        partnerToken: DEFAULT_PARTNER_TOKEN,
        userToken: DEFAULT_USER_TOKEN,
      }),
      settings: () => settings,
      clock: { now: () => now },
      logger: createLogger({ level: 'silent' }),
      isRunning: () => true,
      tellAdmin: async () => {},
      onQueued: () => {},
      onOutbox: () => {},
      ...(fresh ? {} : { mirrorIsFresh: () => false }),
    });
  }

  /** A record in Altegio, mirrored as its webhook would have left it. */
  function mirroredRecord(phone: string): number {
    const record = sandbox.control.createRecord(BRANCH, {
      staff_id: 1001,
      services: [{ id: 301 }],
      client: { phone, name: 'Rita' },
      datetime: new Date(now + 86_400_000).toISOString(),
      save_if_busy: 1,
    });
    const recordId = Number(record.id);
    store.sync.records.upsert({
      companyId: BRANCH,
      recordId,
      clientPhone: phone,
      clientId: null,
      staffIds: [1001],
      datetime: String(record.datetime),
      seanceLength: 3600,
      attendance: 0,
      deleted: false,
      lastChangeDate: new Date(now).toISOString(),
      data: record,
    });
    return recordId;
  }

  const confirm = (recordId: number): VisitWriteJob => ({
    type: 'visit-write',
    action: 'confirm',
    phone: null,
    write: { companyId: BRANCH, recordId, idempotencyKey: `d-${recordId}:confirm`, how: 'status' },
  });
  /** Requests the sandbox answered for this record since `from`. */
  const callsOn = (recordId: number, from: number) =>
    sandbox.requests
      .slice(from)
      .filter((r) => r.path.endsWith(`/${recordId}`))
      .map((r) => r.method);

  it('a first try PUTs from the fresh mirror without reading the record', async () => {
    const recordId = mirroredRecord('+79160002001');
    const from = sandbox.requests.length;
    await writes().run(confirm(recordId), 1);
    expect(callsOn(recordId, from)).toEqual(['PUT']);
    expect(sandbox.control.getRecord(BRANCH, recordId)?.attendance).toBe(2);
    // The rest of the record is as it was: the body came from the mirror, not from guesses.
    expect(sandbox.control.getRecord(BRANCH, recordId)?.client).toMatchObject({ name: 'Rita' });
  });

  it('a retry reads first and does not write what already landed', async () => {
    const recordId = mirroredRecord('+79160002002');
    await writes().run(confirm(recordId), 1);
    const from = sandbox.requests.length;
    await writes().run(confirm(recordId), 2);
    expect(callsOn(recordId, from)).toEqual(['GET']);
  });

  it('a retry of a write that did not land reads, then writes', async () => {
    const recordId = mirroredRecord('+79160002003');
    const from = sandbox.requests.length;
    await writes().run(confirm(recordId), 2);
    expect(callsOn(recordId, from)).toEqual(['GET', 'PUT']);
    expect(sandbox.control.getRecord(BRANCH, recordId)?.attendance).toBe(2);
  });

  it('a stale mirror is not trusted: the record is read first', async () => {
    const recordId = mirroredRecord('+79160002004');
    const from = sandbox.requests.length;
    await writes(false).run(confirm(recordId), 1);
    expect(callsOn(recordId, from)).toEqual(['GET', 'PUT']);
  });

  it('a PUT from the mirror that Altegio refuses is read and decided again, not given up', async () => {
    const recordId = mirroredRecord('+79160002005');
    // Both write routes refuse once: the record PUT and its documented fallback, the visit PUT.
    sandbox.failNext({ method: 'PUT', path: new RegExp(`/${recordId}$`) }, 422, 2);
    const from = sandbox.requests.length;
    await writes().run(confirm(recordId), 1);
    expect(callsOn(recordId, from)).toEqual(['PUT', 'PUT', 'GET', 'PUT']);
    expect(sandbox.control.getRecord(BRANCH, recordId)?.attendance).toBe(2);
  });
});
