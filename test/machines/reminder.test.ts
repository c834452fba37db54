import { describe, expect, it } from 'vitest';
import { type Actor, createActor, fromPromise, type Snapshot, waitFor } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { type ReminderInput, reminderMachine } from '../../machines/reminder/index.js';
import type { AdminNotifyIntent, UserEvent } from '../../machines/shared/events.js';
import {
  type CancellationCheck,
  type CancellationQuery,
  type CancelVisitRequest,
  type ConfirmVisitRequest,
  cancellationLimit,
  decideCancellation,
  describeFailure,
} from '../../src/domain/reminder.js';
import { failing, MachineDriver } from './driver.js';

const HOUR = 3_600_000;
const VISIT = '2026-05-01T15:00:00+03:00';
const VISIT_MS = Date.parse(VISIT);
const TTL = 24 * HOUR;
const RETRY_MS = 30_000;
/** The reminder goes out a day before the visit; the simulated clock's 0 is that moment. */
const ISSUED_AT = VISIT_MS - 24 * HOUR;

const INPUT: ReminderInput = {
  dialogueId: 'rem-1',
  text: 'Anna, we are waiting for you tomorrow at 15:00. 1 to confirm, 2 to cancel.',
  record: { companyId: 7, recordId: 501, datetime: VISIT, prepaid: false },
  confirmMenuTtlMs: TTL,
  cancelNotLaterThanMs: 9 * HOUR,
  confirmation: 'status',
  confirmedColor: '#2ecc71',
  cancellation: 'no-show',
  protectPrepaid: true,
  issuedAt: ISSUED_AT,
  retryDelayMs: RETRY_MS,
};

/** The fake runtime port; `now` is the reminder's send time plus the simulated clock. */
interface FakePort {
  confirmVisit: (request: ConfirmVisitRequest) => Promise<void>;
  cancelVisit: (request: CancelVisitRequest) => Promise<void>;
  checkCancellation: (query: CancellationQuery, now: number) => Promise<CancellationCheck>;
}

const freshRecord =
  (overrides: Partial<CancellationCheck['record']> = {}) =>
  async (_query: CancellationQuery, now: number): Promise<CancellationCheck> => ({
    now,
    record: { datetime: VISIT, prepaid: false, deleted: false, ...overrides },
  });

const defaultPort = (): FakePort => ({
  confirmVisit: async () => {},
  cancelVisit: async () => {},
  checkCancellation: freshRecord(),
});

/** A call that rejects the first `times` times, then behaves like `then`. */
const failingTimes = <A extends unknown[]>(
  then: (...args: A) => Promise<void>,
  times: number,
  error?: unknown,
) => failing(then, error, times);

/** Every state path any bot was in (for the coverage check at the end). */
const visited = new Set<string>();

interface BotOptions {
  input?: Partial<ReminderInput>;
  port?: Partial<FakePort>;
  snapshot?: Snapshot<unknown>;
}

/** Drives the reminder machine the way the runtime does, recording replies, intents and deadlines. */
class Bot extends MachineDriver {
  readonly intents: AdminNotifyIntent[] = [];
  readonly calls = {
    confirmVisit: [] as ConfirmVisitRequest[],
    cancelVisit: [] as CancelVisitRequest[],
    checkCancellation: [] as CancellationQuery[],
  };
  readonly actor: Actor<typeof reminderMachine>;

  constructor(options: BotOptions = {}) {
    super();
    const port = { ...defaultPort(), ...options.port };
    const input: ReminderInput = { ...INPUT, ...options.input };
    const machine = reminderMachine.provide({
      actors: {
        confirmVisit: fromPromise<void, ConfirmVisitRequest>(({ input }) => {
          this.calls.confirmVisit.push(input);
          return port.confirmVisit(input);
        }),
        cancelVisit: fromPromise<void, CancelVisitRequest>(({ input }) => {
          this.calls.cancelVisit.push(input);
          return port.cancelVisit(input);
        }),
        checkCancellation: fromPromise<CancellationCheck, CancellationQuery>(({ input }) => {
          this.calls.checkCancellation.push(input);
          return port.checkCancellation(input, ISSUED_AT + this.clock.now());
        }),
      },
    });
    this.actor = createActor(machine, {
      clock: this.clock,
      input,
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      inspect: this.recorder(visited),
    });
    this.actor.on('reply', ({ message }) => this.replies.push(message));
    this.actor.on('admin.notify', (intent) => this.intents.push(intent));
  }
}

const start = (options: BotOptions = {}) => new Bot(options).start();

describe('reminder machine: the reminder', () => {
  it('sends the rendered reminder first, with Confirm and Cancel in that order', async () => {
    const bot = await start();
    expect(bot.state).toBe('menu.waiting');
    expect(bot.replies).toEqual([
      {
        text: { key: 'reminder.message', params: { text: INPUT.text } },
        options: [
          { value: 'confirm', label: { key: 'reminder.option.confirm' } },
          { value: 'cancel', label: { key: 'reminder.option.cancel' } },
        ],
      },
    ]);
    // One deadline, of the configured length: the runtime stores it.
    expect(bot.timers).toEqual([{ event: 'xstate.after.menuTtl.reminder.menu', delay: TTL }]);
  });
});

describe('reminder machine: confirm', () => {
  it('confirms by status and says so with the visit day and time', async () => {
    const bot = await start();
    await bot.choose('confirm');
    expect(bot.calls.confirmVisit).toEqual([
      { companyId: 7, recordId: 501, how: 'status', idempotencyKey: 'rem-1:confirm' },
    ]);
    expect(bot.calls.checkCancellation).toEqual([]);
    expect(bot.state).toBe('confirmed');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({
      text: { key: 'reminder.confirmed', params: { date: '2026-05-01', time: '15:00' } },
    });
    expect(bot.intents).toEqual([]);
  });

  it('confirms by colour with the configured colour', async () => {
    const bot = await start({ input: { confirmation: 'color', confirmedColor: '#ff8800' } });
    await bot.choose('confirm');
    expect(bot.calls.confirmVisit).toEqual([
      { companyId: 7, recordId: 501, how: 'color', color: '#ff8800', idempotencyKey: 'rem-1:confirm' },
    ]);
    expect(bot.state).toBe('confirmed');
  });

  it.each([
    ['typed 1', { type: 'user.text', text: '1' }],
    ['typed " 1. "', { type: 'user.text', text: ' 1. ' }],
    ['1 as a choice (WhatsApp adapter after a restart)', { type: 'user.choice', value: '1' }],
  ] as const)('takes %s as Confirm', async (_, event) => {
    const bot = await start();
    await bot.send(event);
    expect(bot.state).toBe('confirmed');
    expect(bot.calls.confirmVisit).toHaveLength(1);
  });
});

describe('reminder machine: cancel', () => {
  it('cancels as no-show after reading the record fresh', async () => {
    const bot = await start();
    await bot.choose('cancel');
    expect(bot.calls.checkCancellation).toEqual([{ companyId: 7, recordId: 501 }]);
    expect(bot.calls.cancelVisit).toEqual([
      { companyId: 7, recordId: 501, how: 'no-show', idempotencyKey: 'rem-1:cancel' },
    ]);
    expect(bot.state).toBe('cancelled');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({
      text: { key: 'reminder.cancelled', params: { date: '2026-05-01', time: '15:00' } },
    });
  });

  it('deletes when the salon cancels by deletion', async () => {
    const bot = await start({ input: { cancellation: 'delete' } });
    await bot.text('2');
    expect(bot.calls.cancelVisit).toEqual([
      { companyId: 7, recordId: 501, how: 'delete', idempotencyKey: 'rem-1:cancel' },
    ]);
    expect(bot.state).toBe('cancelled');
  });

  it('takes 2 typed or as a choice as Cancel', async () => {
    for (const event of [
      { type: 'user.text', text: '2' },
      { type: 'user.choice', value: '2' },
    ] as const) {
      const bot = await start();
      await bot.send(event);
      expect(bot.state).toBe('cancelled');
    }
  });

  it('names the visit as Altegio has it now, not as it was when the reminder was planned', async () => {
    const bot = await start({
      port: { checkCancellation: freshRecord({ datetime: '2026-05-02T11:30:00+03:00' }) },
    });
    await bot.choose('cancel');
    expect(bot.last.text).toEqual({
      key: 'reminder.cancelled',
      params: { date: '2026-05-02', time: '11:30' },
    });
  });

  it('refuses a Cancel too close to the visit, writes nothing, and keeps Confirm open', async () => {
    const bot = await start();
    await bot.wait(15 * HOUR + 1); // 9 h minus 1 ms before the visit
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit).toEqual([]);
    expect(bot.last).toEqual({ text: { key: 'reminder.cancel.tooLateHours', params: { count: 9 } } });
    expect(bot.state).toBe('menu.waiting');

    await bot.choose('confirm');
    expect(bot.state).toBe('confirmed');
    expect(bot.calls.confirmVisit).toHaveLength(1);
  });

  it('allows a Cancel exactly at the limit', async () => {
    const bot = await start();
    await bot.wait(15 * HOUR);
    await bot.choose('cancel');
    expect(bot.state).toBe('cancelled');
  });

  it('refuses a Cancel after the visit started, and names a limit in minutes when it is not whole hours', async () => {
    const bot = await start({ input: { cancelNotLaterThanMs: 90 * 60_000 } });
    await bot.wait(23 * HOUR);
    await bot.choose('cancel');
    expect(bot.last.text).toEqual({ key: 'reminder.cancel.tooLateMinutes', params: { count: 90 } });
    expect(bot.state).toBe('menu.waiting');
  });

  it('a refused Cancel does not restart the menu deadline', async () => {
    const bot = await start();
    await bot.wait(20 * HOUR);
    await bot.choose('cancel');
    expect(bot.state).toBe('menu.waiting');
    // No new deadline was scheduled: the runtime keeps the one from the reminder.
    expect(bot.timers).toHaveLength(1);
    await bot.wait(4 * HOUR - 1);
    expect(bot.state).toBe('menu.waiting');
    await bot.wait(1);
    expect(bot.state).toBe('timedOut');
  });

  it('checks again on a second Cancel (the salon may have moved the visit)', async () => {
    let datetime = VISIT;
    const bot = await start({
      port: {
        checkCancellation: async (_query, now) => ({
          now,
          record: { datetime, prepaid: false, deleted: false },
        }),
      },
    });
    await bot.wait(20 * HOUR);
    await bot.choose('cancel');
    expect(bot.last.text.key).toBe('reminder.cancel.tooLateHours');
    datetime = '2026-05-03T15:00:00+03:00';
    await bot.choose('cancel');
    expect(bot.calls.checkCancellation).toHaveLength(2);
    expect(bot.state).toBe('cancelled');
  });

  it('refuses to delete a prepaid visit when the salon protects them, and tells the admin', async () => {
    const bot = await start({
      input: { cancellation: 'delete' },
      port: { checkCancellation: freshRecord({ prepaid: true }) },
    });
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit).toEqual([]);
    expect(bot.state).toBe('cancelRefused');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'reminder.cancel.prepaid' } });
    expect(bot.intents).toEqual([
      {
        type: 'admin.notify',
        reason: 'prepaid-cancel-refused',
        companyId: 7,
        recordId: 501,
        action: 'cancel',
      },
    ]);
  });

  it('reads "prepaid" fresh: a payment made after planning is protected too', async () => {
    const bot = await start({
      input: { cancellation: 'delete', record: { ...INPUT.record, prepaid: false } },
      port: { checkCancellation: freshRecord({ prepaid: true }) },
    });
    await bot.choose('cancel');
    expect(bot.state).toBe('cancelRefused');
  });

  it('cancels a prepaid visit as no-show: the record and its payment stay', async () => {
    const bot = await start({
      input: { cancellation: 'no-show', record: { ...INPUT.record, prepaid: true } },
      port: { checkCancellation: freshRecord({ prepaid: true }) },
    });
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit.map((request) => request.how)).toEqual(['no-show']);
    expect(bot.state).toBe('cancelled');
    expect(bot.intents).toEqual([]);
  });

  it('deletes a prepaid visit when the salon does not protect them', async () => {
    const bot = await start({
      input: { cancellation: 'delete', protectPrepaid: false },
      port: { checkCancellation: freshRecord({ prepaid: true }) },
    });
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit.map((request) => request.how)).toEqual(['delete']);
    expect(bot.state).toBe('cancelled');
  });

  it('says "already cancelled" for a deleted record, even too close to the visit, and writes nothing', async () => {
    const bot = await start({ port: { checkCancellation: freshRecord({ deleted: true }) } });
    await bot.wait(20 * HOUR);
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit).toEqual([]);
    expect(bot.state).toBe('alreadyCancelled');
    expect(bot.last).toEqual({ text: { key: 'reminder.cancel.already' } });
  });

  it('a Cancel handled after the deadline but before the timer was delivered changes nothing', async () => {
    // The runtime's clock is past the deadline (say, just after a restart); the timer row is still pending.
    const bot = await start({
      port: { checkCancellation: async (_query) => freshRecord()(_query, ISSUED_AT + TTL) },
    });
    await bot.choose('cancel');
    expect(bot.calls.cancelVisit).toEqual([]);
    expect(bot.state).toBe('timedOut');
    expect(bot.last.text.key).toBe('reminder.timedOut');
  });

  it('asks to press again when the record cannot be read, with the menu still open', async () => {
    const bot = await start({
      port: {
        checkCancellation: (() => {
          let first = true;
          return async (query: CancellationQuery, now: number) => {
            if (first) {
              first = false;
              throw new Error('503');
            }
            return freshRecord()(query, now);
          };
        })(),
      },
    });
    await bot.choose('cancel');
    expect(bot.last).toEqual({ text: { key: 'reminder.cancel.checkFailed' } });
    expect(bot.state).toBe('menu.waiting');
    expect(bot.timers).toHaveLength(1);
    await bot.choose('cancel');
    expect(bot.state).toBe('cancelled');
  });
});

describe('reminder machine: failed writes', () => {
  it('retries a failed confirmation once after the retry delay, with the same key', async () => {
    const bot = await start({ port: { confirmVisit: failingTimes(async () => {}, 1) } });
    await bot.choose('confirm');
    expect(bot.state).toBe('retrying');
    expect(bot.last).toEqual({ text: { key: 'reminder.retrying' } });
    expect(bot.timers.at(-1)).toEqual({
      event: 'xstate.after.retryDelay.reminder.retrying',
      delay: RETRY_MS,
    });

    await bot.wait(RETRY_MS - 1);
    expect(bot.state).toBe('retrying');
    await bot.wait(1);
    expect(bot.state).toBe('confirmed');
    expect(bot.calls.confirmVisit.map((request) => request.idempotencyKey)).toEqual([
      'rem-1:confirm',
      'rem-1:confirm',
    ]);
    expect(bot.keys).toEqual(['reminder.message', 'reminder.retrying', 'reminder.confirmed']);
    expect(bot.intents).toEqual([]);
  });

  it('retries a failed cancellation without reading the record again', async () => {
    const bot = await start({ port: { cancelVisit: failingTimes(async () => {}, 1) } });
    await bot.choose('cancel');
    expect(bot.state).toBe('retrying');
    await bot.wait(RETRY_MS);
    expect(bot.state).toBe('cancelled');
    expect(bot.calls.checkCancellation).toHaveLength(1);
    expect(bot.calls.cancelVisit).toHaveLength(2);
  });

  it('uses 30 s between attempts when the runtime gives no retry delay', async () => {
    const bot = await start({
      input: { retryDelayMs: undefined },
      port: { confirmVisit: failingTimes(async () => {}, 1) },
    });
    await bot.choose('confirm');
    expect(bot.timers.at(-1)?.delay).toBe(30_000);
  });

  it('tells the client and the admin when a confirmation fails twice', async () => {
    const bot = await start({
      port: { confirmVisit: failingTimes(async () => {}, 2, new Error('HTTP 502')) },
    });
    await bot.choose('confirm');
    await bot.wait(RETRY_MS);
    expect(bot.state).toBe('failed');
    expect(bot.status).toBe('done');
    expect(bot.keys).toEqual(['reminder.message', 'reminder.retrying', 'reminder.failed.confirm']);
    expect(bot.intents).toEqual([
      {
        type: 'admin.notify',
        reason: 'write-failed',
        companyId: 7,
        recordId: 501,
        action: 'confirm',
        detail: 'HTTP 502',
      },
    ]);
  });

  it('tells the client and the admin when a cancellation fails twice', async () => {
    const bot = await start({
      input: { cancellation: 'delete' },
      port: { cancelVisit: failingTimes(async () => {}, 2, { message: 'timeout' }) },
    });
    await bot.choose('cancel');
    await bot.wait(RETRY_MS);
    expect(bot.state).toBe('failed');
    expect(bot.last.text.key).toBe('reminder.failed.cancel');
    expect(bot.intents).toEqual([
      {
        type: 'admin.notify',
        reason: 'write-failed',
        companyId: 7,
        recordId: 501,
        action: 'cancel',
        detail: 'timeout',
      },
    ]);
  });

  it('asks for patience while a retry is pending, and the answer changes nothing', async () => {
    const bot = await start({ port: { confirmVisit: failingTimes(async () => {}, 1) } });
    await bot.choose('confirm');
    for (const event of [
      { type: 'user.choice', value: 'cancel' },
      { type: 'user.text', text: '2' },
      { type: 'user.contact', phone: '+79161234567' },
      { type: 'user.command', name: 'cancel' },
    ] as const) {
      await bot.send(event);
      expect(bot.last.text.key).toBe('reminder.pleaseWait');
    }
    expect(bot.state).toBe('retrying');
    await bot.wait(RETRY_MS);
    expect(bot.state).toBe('confirmed');
    expect(bot.calls.cancelVisit).toEqual([]);
  });

  it('asks for patience while a write is in flight', async () => {
    let release: () => void = () => {};
    const bot = await start({
      port: { confirmVisit: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    bot.actor.send({ type: 'user.choice', value: 'confirm' });
    expect(bot.state).toBe('confirming');
    bot.actor.send({ type: 'user.text', text: '2' });
    expect(bot.last.text.key).toBe('reminder.pleaseWait');
    release();
    await bot.settle();
    expect(bot.state).toBe('confirmed');
  });

  it('asks for patience while the record is being read', async () => {
    let release: () => void = () => {};
    const bot = await start({
      port: {
        checkCancellation: (query, now) =>
          new Promise((resolve) => (release = () => resolve(freshRecord()(query, now)))),
      },
    });
    bot.actor.send({ type: 'user.choice', value: 'cancel' });
    expect(bot.state).toBe('menu.checking');
    bot.actor.send({ type: 'user.choice', value: 'confirm' });
    expect(bot.last.text.key).toBe('reminder.pleaseWait');
    release();
    await bot.settle();
    expect(bot.state).toBe('cancelled');
    expect(bot.calls.confirmVisit).toEqual([]);
  });
});

describe('reminder machine: the menu deadline', () => {
  it('closes the menu after confirmMenuTtl and says so at once', async () => {
    const bot = await start();
    await bot.wait(TTL - 1);
    expect(bot.state).toBe('menu.waiting');
    await bot.wait(1);
    expect(bot.state).toBe('timedOut');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'reminder.timedOut' } });
    expect(bot.calls.confirmVisit).toEqual([]);
  });

  it('uses the configured length (seconds in tests, hours in production)', async () => {
    const bot = await start({ input: { confirmMenuTtlMs: 30_000 } });
    expect(bot.timers).toEqual([{ event: 'xstate.after.menuTtl.reminder.menu', delay: 30_000 }]);
    await bot.wait(30_000);
    expect(bot.state).toBe('timedOut');
  });

  it('a client who answered in time is not told the menu expired while the write is retried', async () => {
    const bot = await start({ port: { confirmVisit: failingTimes(async () => {}, 1) } });
    await bot.wait(TTL - 1_000);
    await bot.choose('confirm');
    await bot.wait(RETRY_MS);
    expect(bot.state).toBe('confirmed');
    expect(bot.keys).not.toContain('reminder.timedOut');
  });
});

describe('reminder machine: anything else the client sends', () => {
  it('answers a button of an older menu without acting on it', async () => {
    const bot = await start();
    for (const value of ['svc:11', 'confirm:old', '3']) {
      await bot.choose(value);
      expect(bot.last).toEqual({ text: { key: 'reminder.oldMenu' } });
    }
    expect(bot.state).toBe('menu.waiting');
    expect(bot.calls).toEqual({ confirmVisit: [], cancelVisit: [], checkCancellation: [] });
  });

  it('repeats the two options for text, contacts and commands', async () => {
    const bot = await start();
    for (const event of [
      { type: 'user.text', text: 'yes please' },
      { type: 'user.text', text: '3' },
      { type: 'user.contact', phone: '+79161234567' },
      { type: 'user.command', name: 'cancel' },
      { type: 'user.command', name: 'back' },
    ] as const) {
      await bot.send(event);
      expect(bot.last.text).toEqual({ key: 'reminder.chooseOption' });
      expect(bot.values).toEqual(['confirm', 'cancel']);
    }
    expect(bot.state).toBe('menu.waiting');
    // A nudge is no reset: the deadline from the reminder stands.
    expect(bot.timers).toHaveLength(1);
  });
});

describe('reminder machine: persistence', () => {
  it('resumes mid-dialogue from a JSON round-tripped snapshot, replaying nothing', async () => {
    const first = await start();
    await first.wait(20 * HOUR);
    await first.choose('cancel');
    expect(first.state).toBe('menu.waiting');
    const stored = first.persisted();
    first.actor.stop();

    const second = await new Bot({ snapshot: stored }).start();
    expect(second.state).toBe('menu.waiting');
    expect(second.replies).toEqual([]);
    // The restored menu still reads stale choices and menu numbers.
    await second.choose('svc:1');
    expect(second.last.text.key).toBe('reminder.oldMenu');
    await second.text('1');
    expect(second.state).toBe('confirmed');
    expect(second.calls.confirmVisit[0]?.idempotencyKey).toBe('rem-1:confirm');
  });

  it('a restored dialogue takes a stored deadline as the runtime delivers it', async () => {
    const first = await start({ port: { cancelVisit: failingTimes(async () => {}, 1) } });
    await first.choose('cancel');
    expect(first.state).toBe('retrying');
    const stored = first.persisted();
    first.actor.stop();

    // XState does not re-arm `after` on restore; the runtime sends the recorded event when due.
    const second = await new Bot({ snapshot: stored }).start();
    const due = first.timers.at(-1)?.event ?? '';
    second.actor.send({ type: due } as unknown as UserEvent);
    await second.settle();
    expect(second.state).toBe('cancelled');
    expect(second.calls.cancelVisit).toEqual([
      { companyId: 7, recordId: 501, how: 'no-show', idempotencyKey: 'rem-1:cancel' },
    ]);
  });

  it('a write in flight when the snapshot was taken runs again with the same key', async () => {
    const first = await start({ port: { cancelVisit: () => new Promise<never>(() => {}) } });
    first.actor.send({ type: 'user.choice', value: 'cancel' });
    await waitFor(first.actor, (s) => s.matches('cancelling'), { timeout: 1000 });
    const stored = first.persisted();
    first.actor.stop();

    const second = await new Bot({ snapshot: stored }).start();
    expect(second.state).toBe('cancelled');
    expect(second.calls.cancelVisit.map((request) => request.idempotencyKey)).toEqual([
      first.calls.cancelVisit[0]?.idempotencyKey,
    ]);
  });

  it('keeps only plain data in context', async () => {
    const bot = await start({ port: { confirmVisit: failingTimes(async () => {}, 1) } });
    await bot.choose('confirm');
    const { context } = bot.actor.getSnapshot();
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
    expect(context.failure).toBe('ECONNRESET');
  });
});

describe('reminder rules', () => {
  const rules = {
    cancelNotLaterThanMs: 9 * HOUR,
    cancellation: 'delete' as const,
    protectPrepaid: true,
    menuClosesAt: ISSUED_AT + TTL,
  };
  const check = (now: number, record: Partial<CancellationCheck['record']> = {}): CancellationCheck => ({
    now,
    record: { datetime: VISIT, prepaid: false, deleted: false, ...record },
  });

  it('decides in order: closed menu, deleted, too late, prepaid, allowed', () => {
    const late = VISIT_MS - HOUR;
    expect(decideCancellation(rules, check(ISSUED_AT + TTL, { deleted: true })).kind).toBe('menu-closed');
    expect(decideCancellation(rules, check(late, { deleted: true, prepaid: true })).kind).toBe(
      'already-deleted',
    );
    expect(decideCancellation(rules, check(late, { prepaid: true })).kind).toBe('too-late');
    expect(decideCancellation(rules, check(ISSUED_AT, { prepaid: true })).kind).toBe('prepaid-protected');
    expect(decideCancellation(rules, check(ISSUED_AT)).kind).toBe('allowed');
    expect(
      decideCancellation({ ...rules, cancellation: 'no-show' }, check(ISSUED_AT, { prepaid: true })).kind,
    ).toBe('allowed');
  });

  it('refuses when the visit start cannot be read: refusing writes nothing', () => {
    expect(decideCancellation(rules, check(ISSUED_AT, { datetime: 'soon' })).kind).toBe('too-late');
  });

  it('names the limit in whole hours, else in minutes rounded up', () => {
    expect(cancellationLimit(9 * HOUR)).toEqual({ unit: 'hours', count: 9 });
    expect(cancellationLimit(90 * 60_000)).toEqual({ unit: 'minutes', count: 90 });
    expect(cancellationLimit(30_000)).toEqual({ unit: 'minutes', count: 1 });
    expect(cancellationLimit(0)).toEqual({ unit: 'minutes', count: 1 });
  });

  it('describes failures briefly', () => {
    expect(describeFailure(new Error('boom'))).toBe('boom');
    expect(describeFailure({ kind: 'unavailable', message: 'HTTP 503' })).toBe('HTTP 503');
    expect(describeFailure('x'.repeat(1000))).toHaveLength(300);
  });
});

describe('reminder machine: structure', () => {
  it('declares the actors, named delays and the stable id the runtime relies on', () => {
    expect(reminderMachine.id).toBe('reminder');
    expect(Object.keys(reminderMachine.implementations.actors).sort()).toEqual([
      'cancelVisit',
      'checkCancellation',
      'confirmVisit',
    ]);
    expect(Object.keys(reminderMachine.implementations.delays).sort()).toEqual(['menuTtl', 'retryDelay']);
  });

  it('tags every state that calls Altegio busy, and no other', () => {
    for (const node of getStateNodes(reminderMachine)) {
      expect(node.tags.includes('busy'), node.id).toBe(node.invoke.length > 0);
    }
  });

  it('fails safe when the runtime forgot to provide the actors', async () => {
    const actor = createActor(reminderMachine, { input: INPUT }).start();
    actor.send({ type: 'user.choice', value: 'cancel' });
    const snapshot = await waitFor(actor, (s) => !s.hasTag('busy'), { timeout: 1000 });
    expect(snapshot.value).toEqual({ menu: 'waiting' });
    actor.stop();
  });

  // Must stay last: it checks what the tests above visited.
  it('the tests above visit every state of the machine', () => {
    const paths = getStateNodes(reminderMachine)
      .map((node) => node.id.replace(/^reminder\./, ''))
      .filter((path) => path !== 'reminder');
    const unvisited = paths.filter(
      (path) => ![...visited].some((seen) => seen === path || seen.startsWith(`${path}.`)),
    );
    expect(unvisited).toEqual([]);
  });
});
