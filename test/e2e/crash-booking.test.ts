import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { AltegioProxy } from './altegio-proxy.js';
import { createWorld, ONE_BRANCH, recordsOf, type World } from './harness.js';
import { kill, startProcess } from './process.js';

const PHONE = '+79160004455';

describe('a booking survives a crash', () => {
  let world: World | undefined;
  let proxy: AltegioProxy | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await proxy?.stop();
    proxy = undefined;
    await world?.close();
    world = undefined;
  });

  it('Altegio booked the visit, the engine died before it heard so: Confirm again books it once, not "taken"', async () => {
    world = await createWorld(ONE_BRANCH);
    const w = world;
    proxy = new AltegioProxy(w.sandbox.url);
    const env = { ALTEGIO_API_URL: await proxy.start() };
    const start = () => {
      const started = startProcess(w, { env });
      children.push(started.child);
      return started;
    };

    const first = start();
    await first.ready;
    const client = new TelegramUser(w.telegram, 8101);
    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.pressFirstChoice();
    await client.next();
    client.send(PHONE);
    const summary = await client.nextMatching((message) => message.text.startsWith('Please check'));

    // Altegio creates the record; the answer never comes back, and the process dies.
    proxy.mode = 'apply-then-hold';
    const applied = proxy.nextHeld();
    client.press('✔ Confirm', summary);
    await applied;
    await kill(first.child);
    expect(recordsOf(w, PHONE)).toHaveLength(1);

    // The next process: the client saw no answer and presses Confirm on the same menu again.
    proxy.mode = 'pass';
    const second = start();
    await second.ready;
    client.press('✔ Confirm', summary);
    const answer = await client.nextMatching((message) => /booked|taken/.test(message.text), 30_000);
    expect(answer.text).toMatch(/^You are booked/);
    expect(recordsOf(w, PHONE)).toHaveLength(1);
    // Altegio refused the second send (the time is the client's own now): that refusal was checked.
    expect(proxy.applied.map((write) => `${write.method} ${write.status}`)).toEqual(['POST 201', 'POST 422']);
  }, 120_000);
});
