import { describe, expect, it } from 'vitest';
import { parseWebhook } from '../../src/altegio/webhooks.js';
import { createLogger } from '../../src/log.js';
import { createIngest } from '../../src/notify/ingest.js';
import { createStore } from '../../src/store/index.js';
import { type RecordSpec, recordWebhook } from './salon.js';

const HOUR = 3_600_000;
const now = Date.UTC(2030, 0, 7, 6, 0);

/** The real ingest on a real store; the cache only notes which free times it was told to forget. */
function setup() {
  const store = createStore(':memory:');
  const forgotten: Array<{ staffId?: number | undefined; date?: string | undefined }> = [];
  const ingest = createIngest({
    store,
    altegio: {
      invalidate: () => {},
      invalidateAvailability: (_companyId, scope) => {
        forgotten.push(scope ?? {});
      },
    },
    logger: createLogger({ level: 'silent' }),
  });
  let n = 0;
  const webhook = async (spec: RecordSpec, status: 'create' | 'update' | 'delete' = 'update') => {
    const body = recordWebhook(spec, status, now);
    const parsed = parseWebhook(body);
    if (!parsed.ok) throw new Error(parsed.reason);
    n += 1;
    await ingest(parsed.event, `test:${n}`, body);
  };
  return { webhook, forgotten, close: () => store.close() };
}

const visit: RecordSpec = { id: 5001, phone: '+79160003001', startsAt: now + 30 * HOUR, changedAt: now };

describe('record webhooks and cached free times', () => {
  it('a new record takes a slot: that master’s day is forgotten', async () => {
    const { webhook, forgotten, close } = setup();
    await webhook(visit, 'create');
    expect(forgotten).toEqual([{ staffId: 1001, date: '2030-01-08' }]);
    await close();
  });

  it('a confirmation or a comment moves no slot: the cache stays', async () => {
    const { webhook, forgotten, close } = setup();
    await webhook(visit, 'create');
    forgotten.length = 0;
    await webhook({ ...visit, attendance: 2, changedAt: now + 1000 });
    await webhook({ ...visit, attendance: 2, comment: 'see you', changedAt: now + 2000 });
    expect(forgotten).toEqual([]);
    await close();
  });

  it('a moved, re-assigned, deleted or no-show record may free a slot: the cache goes', async () => {
    const { webhook, forgotten, close } = setup();
    await webhook(visit, 'create');
    const cases: RecordSpec[] = [
      { ...visit, startsAt: visit.startsAt + HOUR, changedAt: now + 1000 },
      { ...visit, startsAt: visit.startsAt + HOUR, staffId: 1002, changedAt: now + 2000 },
      { ...visit, startsAt: visit.startsAt + HOUR, staffId: 1002, attendance: -1, changedAt: now + 3000 },
    ];
    for (const spec of cases) {
      forgotten.length = 0;
      await webhook(spec);
      expect(forgotten.length).toBeGreaterThan(0);
    }
    forgotten.length = 0;
    await webhook({ ...cases[2], deleted: true, changedAt: now + 4000 } as RecordSpec, 'delete');
    expect(forgotten.length).toBeGreaterThan(0);
    await close();
  });
});
