import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { TelegramUser } from '../helpers/telegram-user.js';
import { createWorld, ONE_BRANCH, recordsOf, type World } from './harness.js';
import { kill, outboxSettled, startProcess } from './process.js';

describe('dialogues survive the process being killed', () => {
  let world: World | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) await kill(child);
    await world?.close();
    world = undefined;
  });

  it('continues a booking after a kill between two steps', async () => {
    world = await createWorld(ONE_BRANCH);
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8001);
    client.send('/start');
    await client.next();
    client.press(/^Women's haircut/);
    const staff = await client.next();
    expect(staff.text).toBe('Choose a specialist:');
    await outboxSettled(world);
    await kill(first.child);

    const second = startProcess(world);
    children.push(second.child);
    await second.ready;
    client.press(/^Anna/, staff);
    const dates = await client.next();
    expect(dates.text).toBe('Choose a day:');
    await client.bookFirstSlot('+79160003344');
    const booked = recordsOf(world, '+79160003344');
    expect(booked).toHaveLength(1);
    expect(booked[0]?.staff_id).toBe(1001);
  });

  it('sends a timeout that fell due while the process was down as soon as it starts again', async () => {
    // The menu waits ten minutes; the second process runs with its clock eleven minutes ahead, so
    // the message can only come from the overdue deadline read at start-up, not from waiting.
    world = await createWorld({ ...ONE_BRANCH, booking: { replyTimeout: '10m' } });
    const first = startProcess(world);
    children.push(first.child);
    await first.ready;
    const client = new TelegramUser(world.telegram, 8002);
    client.send('/start');
    await client.next();
    await outboxSettled(world);
    await kill(first.child);

    const second = startProcess(world, { clockOffsetMs: 11 * 60_000 });
    children.push(second.child);
    await second.ready;
    const timedOut = await client.next().catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });
    expect(timedOut.text).toContain('was not made');
  });
});
