import { afterEach, describe, expect, it } from 'vitest';
import { createActor, waitFor } from 'xstate';
import { reminderInput, reminderMachine } from '../../machines/reminder/index.js';
import type { DialogueIntent } from '../../machines/shared/events.js';
import { portActor } from '../../machines/shared/menu-kit.js';
import type { ConfirmVisitRequest } from '../../src/domain/reminder.js';
import { parseSettings, type Settings } from '../../src/domain/settings.js';
import { createLogger } from '../../src/log.js';
import { createAdminMessenger } from '../../src/notify/admin.js';
import { createIntentHandler } from '../../src/notify/intents.js';
import { createStore, type SqliteStore as Store } from '../../src/store/index.js';

const ADMIN = '79160000001';
const VISIT = '2026-05-01T15:00:00+03:00';

function settings(): Settings {
  const parsed = parseSettings({
    general: { adminPhone: ADMIN, channelPriority: ['whatsapp'] },
    variables: { language: 'en' },
  });
  if (!parsed.ok) throw new Error('bad test settings');
  return parsed.settings;
}

let store: Store | undefined;
afterEach(() => store?.close());

function handler() {
  store = createStore(':memory:');
  const current = settings();
  const tellAdmin = createAdminMessenger({
    store,
    settings: () => current,
    isRunning: (channel) => channel === 'whatsapp',
    logger: createLogger({ level: 'silent' }),
  });
  const handle = createIntentHandler({ store, tellAdmin, language: () => current.variables.language });
  const conversation = store.sync.conversations.upsert('whatsapp', '79161234567@c.us');
  const adminTexts = () =>
    (store?.sync.outbox.list({ recipient: `${ADMIN}@c.us` }) ?? []).map((row) =>
      String((row.payload as { text: string }).text),
    );
  return {
    handle: (intents: DialogueIntent[]) => handle(intents, { conversation, dialogueId: 1 }),
    adminTexts,
  };
}

/** Runs a reminder whose Confirm Altegio refuses every time, and returns what it emitted. */
async function refusedConfirmation(): Promise<DialogueIntent[]> {
  const refuse = portActor<void, ConfirmVisitRequest>(() =>
    Promise.reject(new Error('422: record is locked for editing')),
  );
  const machine = reminderMachine.provide({ actors: { confirmVisit: refuse } });
  const input = reminderInput(settings(), {
    dialogueId: 'd-1',
    text: 'See you tomorrow at 15:00',
    record: { companyId: 7, recordId: 501, datetime: VISIT, prepaid: false },
    issuedAt: Date.parse(VISIT) - 86_400_000,
  });
  const actor = createActor(machine, { input: { ...input, retryDelayMs: 1 } });
  const intents: DialogueIntent[] = [];
  actor.on('admin.notify', (intent) => intents.push(intent));
  actor.start();
  actor.send({ type: 'user.choice', value: 'confirm' });
  await waitFor(actor, (snapshot) => snapshot.status === 'done', { timeout: 5_000 });
  return intents;
}

describe('intent handler', () => {
  it('tells the admin what the client asked for and why Altegio refused it', async () => {
    const intents = await refusedConfirmation();
    expect(intents).toEqual([
      expect.objectContaining({ reason: 'write-failed', action: 'confirm', detail: expect.any(String) }),
    ]);
    const { handle, adminTexts } = handler();
    await handle(intents);
    const [text] = adminTexts();
    expect(text).toContain('confirm the visit');
    expect(text).toContain('422: record is locked for editing');
    expect(text).toContain('record 501');
    expect(text).not.toContain('{{');
  });

  it('says so when a failed write came without a reason', async () => {
    const { handle, adminTexts } = handler();
    await handle([
      { type: 'admin.notify', reason: 'write-failed', companyId: 7, recordId: 502, action: 'cancel' },
    ]);
    expect(adminTexts()).toEqual([expect.stringContaining('cancel the visit')]);
    expect(adminTexts()[0]).toContain('no reason given');
  });

  it('a refused prepaid Cancel and a poor-rating task each reach the admin once', async () => {
    const { handle, adminTexts } = handler();
    const intents: DialogueIntent[] = [
      {
        type: 'admin.notify',
        reason: 'prepaid-cancel-refused',
        companyId: 7,
        recordId: 503,
        action: 'cancel',
      },
      { type: 'task.create', kind: 'poor-rating', companyId: 7, recordId: 504, rating: 2 },
    ];
    await handle(intents);
    await handle(intents); // the same step again (a retried commit): the outbox keys keep it to one each
    const texts = adminTexts();
    expect(texts).toHaveLength(2);
    expect(texts.some((text) => text.includes('prepaid') && text.includes('503'))).toBe(true);
    expect(texts.some((text) => text.includes('Poor rating: 2 of 5'))).toBe(true);
  });
});
