import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually.js';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, type World } from './harness.js';
import { kill, startProcess } from './process.js';

const PHONE = '+79160001212';

describe('jobs and the outbox survive a crash', () => {
  let world: World | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await world?.close();
    world = undefined;
  });

  it('sends every planned message exactly once after the process was killed', async () => {
    world = await createWorld({
      general: { channelPriority: ['telegram'] },
      records: { groupingWindow: '0s' },
      variables: { language: 'en' },
      branches: [{ id: 101 }],
      templates: [
        { kind: 'new-record', text: 'Booked: {{services}}' },
        { kind: 'reminder', text: 'Reminder for {{services}}', offset: '60m' },
      ],
    });
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;

    // The client's Telegram chat shares the phone, so notifications can reach it there.
    const client = new TelegramUser(world.telegram, 9100);
    client.shareContact(PHONE);
    await client.next();

    // Three visits an hour (and a few seconds) ahead: three notices now, three reminders soon.
    for (const [index, serviceId] of [301, 303, 304].entries()) {
      const start = new Date(Date.now() + 3_600_000 + (4 + index) * 1000);
      start.setUTCMilliseconds(0);
      world.sandbox.control.createRecord(101, {
        staff_id: 1001,
        services: [{ id: serviceId }],
        client: { phone: PHONE, name: 'Rita' },
        datetime: start.toISOString(),
        save_if_busy: 1,
      });
    }
    await world.sandbox.webhooksIdle();
    await kill(first.child);

    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const second = startProcess(world);
    children.push(second.child);
    await second.ready;

    const texts = () =>
      world?.telegram.sent
        .filter((call) => call.method === 'sendMessage' && call.chatId === '9100')
        .map((call) => String(call.params.text)) ?? [];
    await eventually(() => {
      const reminders = texts().filter((text) => text.startsWith('Reminder for'));
      if (reminders.length < 3)
        throw new Error(`${reminders.length} reminders so far: ${JSON.stringify(texts())}`);
    }, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const notices = texts().filter((text) => text.startsWith('Booked:'));
    const reminders = texts().filter((text) => text.startsWith('Reminder for'));
    expect(notices.sort()).toEqual([
      'Booked: Gel manicure',
      "Booked: Men's haircut",
      "Booked: Women's haircut",
    ]);
    expect(reminders).toHaveLength(3);
    expect(new Set(reminders).size).toBe(3);
  });
});
