import { describe, expect, it } from 'vitest';
import { getStateNodes } from 'xstate/graph';
import { bookingMachine } from '../../machines/booking/index.js';
import type { BookingFailure, Service, TimeSlot } from '../../src/domain/booking.js';
import {
  allReplies,
  alwaysFailing,
  BRANCHES,
  defaultAltegio,
  type FakeAltegio,
  failing,
  Harness,
  type Step,
  startBooking,
  TIMEOUT_MS,
  TIMES,
  visitedStates,
} from './booking-harness.js';

const DAY = '2026-05-01';
/** What the happy path chooses, as the summary and the confirmation name it. */
const CHOSEN = { branch: 'Centre', service: 'Haircut', staff: 'Anna', date: DAY, time: '12:30' };
const PHONE = '+7 916 123-45-67';
const NAME = 'Ivanova Anna Sergeevna';
/** The fullest route (two branches, staff step, full name) up to the summary. */
const PATH: Step[] = [
  'branch:1',
  'svc:11',
  'staff:5',
  `date:${DAY}`,
  'time:10:00',
  { text: NAME },
  { text: PHONE },
];

const oneBranch: Partial<FakeAltegio> = { loadBranches: async () => [BRANCHES[0] as (typeof BRANCHES)[0]] };
const reject = (failure: BookingFailure) => () => Promise.reject(failure);

/** A place in the dialogue where the bot waits for the client, how to get there, and where Back leads. */
interface Spot {
  state: string;
  steps: Step[];
  altegio?: Partial<FakeAltegio>;
  back: string | null;
}

/** The list steps in order, with their load call; the nth is reached by the first n steps of PATH. */
const LIST_STEPS = [
  ['branch', 'loadBranches'],
  ['service', 'loadServices'],
  ['staff', 'loadStaff'],
  ['date', 'loadDates'],
  ['time', 'loadTimes'],
] as const satisfies ReadonlyArray<readonly [string, keyof FakeAltegio]>;

const SPOTS: Spot[] = [
  // Each list step waits in its menu and after a failed load; Back leads to the step before.
  ...LIST_STEPS.flatMap(([step, load], done): Spot[] => {
    const steps = PATH.slice(0, done);
    const before = LIST_STEPS[done - 1];
    const back = before ? `${before[0]}.choosing` : null;
    return [
      { state: `${step}.choosing`, steps, back },
      { state: `${step}.failed`, steps, altegio: { [load]: alwaysFailing }, back },
    ];
  }),
  { state: 'fullName', steps: PATH.slice(0, 5), back: 'time.choosing' },
  { state: 'phone', steps: PATH.slice(0, 6), back: 'fullName' },
  { state: 'summary', steps: PATH, back: 'phone' },
  {
    state: 'creationFailed',
    steps: [...PATH, 'confirm'],
    altegio: { createBooking: reject({ kind: 'unavailable' }) },
    back: 'summary',
  },
];

async function at(spot: Spot): Promise<Harness> {
  const harness = await startBooking({ altegio: spot.altegio ?? {} });
  await harness.run(spot.steps);
  expect(harness.state).toBe(spot.state);
  return harness;
}

describe('booking machine: happy paths', () => {
  it('books with one branch: the branch step is skipped and the request carries every choice', async () => {
    const bot = await startBooking({ input: { askFullName: false }, altegio: oneBranch });
    expect(bot.state).toBe('service.choosing');
    expect(bot.keys).toEqual(['booking.service.ask']);
    expect(bot.values).toEqual(['svc:11', 'svc:12', 'svc:13', 'cancel']);
    expect(bot.calls.loadServices).toEqual([{ companyId: 1 }]);

    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:12:30', { text: PHONE }]);
    expect(bot.calls.loadStaff).toEqual([{ companyId: 1, serviceIds: [11] }]);
    expect(bot.calls.loadDates).toEqual([{ companyId: 1, serviceIds: [11], staffId: 5 }]);
    expect(bot.calls.loadTimes).toEqual([{ companyId: 1, serviceIds: [11], staffId: 5, date: DAY }]);
    expect(bot.state).toBe('summary');
    expect(bot.last.text).toEqual({
      key: 'booking.summary',
      params: {
        ...CHOSEN,
        name: 'Anna T.',
        phone: '+79161234567',
      },
    });
    expect(bot.values).toEqual(['confirm', 'back', 'cancel']);

    await bot.choose('confirm');
    expect(bot.calls.createBooking).toEqual([
      {
        companyId: 1,
        serviceIds: [11],
        staffId: 5,
        datetime: '2026-05-01T12:30:00+03:00',
        phone: '79161234567',
        fullname: 'Anna T.',
        idempotencyKey: 'dlg-1:booking:1',
      },
    ]);
    expect(bot.state).toBe('done');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({
      text: {
        key: 'booking.done',
        params: {
          ...CHOSEN,
          address: '1 Main Street',
        },
      },
    });
  });

  it('books with two branches: the branch is asked first, without Back', async () => {
    const bot = await startBooking({ input: { askFullName: false } });
    expect(bot.state).toBe('branch.choosing');
    expect(bot.last.text.key).toBe('booking.branch.ask');
    expect(bot.values).toEqual(['branch:1', 'branch:2', 'cancel']);

    await bot.run(['branch:2', 'svc:12', 'staff:6', `date:${DAY}`, 'time:15:00', { text: PHONE }, 'confirm']);
    expect(bot.calls.loadServices).toEqual([{ companyId: 2 }]);
    expect(bot.calls.createBooking[0]).toMatchObject({ companyId: 2, serviceIds: [12], staffId: 6 });
    expect(bot.status).toBe('done');
    expect(bot.last.text).toMatchObject({
      key: 'booking.done',
      params: { branch: 'Riverside', staff: 'Boris', time: '15:00', address: '5 River Road' },
    });
  });

  it('skips the staff step when chooseStaff is off and books any specialist', async () => {
    const bot = await startBooking({
      input: { chooseStaff: false, askFullName: false },
      altegio: {
        ...oneBranch,
        createBooking: async (request) => ({ recordId: 1, datetime: request.datetime }),
      },
    });
    await bot.choose('svc:13');
    expect(bot.state).toBe('date.choosing');
    expect(bot.calls.loadStaff).toEqual([]);
    expect(bot.calls.loadDates).toEqual([{ companyId: 1, serviceIds: [13], staffId: 0 }]);

    await bot.run([`date:${DAY}`, 'time:10:00', { text: PHONE }]);
    expect(bot.last.text.key).toBe('booking.summaryAnyStaff');
    await bot.choose('confirm');
    expect(bot.calls.createBooking[0]?.staffId).toBe(0);
    // Altegio named nobody: the message says the salon assigns one.
    expect(bot.last.text.key).toBe('booking.doneAnyStaff');
    expect(bot.last.text.params).not.toHaveProperty('staff');
  });

  it('offers "Doesn\'t matter" first and books staff 0, showing who Altegio assigned', async () => {
    const bot = await startBooking({ input: { askFullName: false }, altegio: oneBranch });
    await bot.choose('svc:11');
    expect(bot.values).toEqual(['staff:0', 'staff:5', 'staff:6', 'back', 'cancel']);
    expect(bot.last.options?.[0]?.label).toEqual({ key: 'booking.staff.any' });

    await bot.run(['staff:0', `date:${DAY}`, 'time:10:00', { text: PHONE }]);
    expect(bot.calls.loadDates[0]?.staffId).toBe(0);
    expect(bot.calls.loadTimes[0]?.staffId).toBe(0);
    expect(bot.last.text.key).toBe('booking.summaryAnyStaff');
    await bot.choose('confirm');
    expect(bot.calls.createBooking[0]?.staffId).toBe(0);
    expect(bot.last.text).toMatchObject({ key: 'booking.done', params: { staff: 'Boris' } });
  });

  it('lists only real staff when anyStaffOption is off', async () => {
    const bot = await startBooking({ input: { anyStaffOption: false }, altegio: oneBranch });
    await bot.choose('svc:11');
    expect(bot.values).toEqual(['staff:5', 'staff:6', 'back', 'cancel']);
    await bot.choose('staff:0');
    expect(bot.last.text.key).toBe('booking.oldMenu');
    expect(bot.state).toBe('staff.choosing');
  });

  it('shows the branch-local time Altegio booked when it differs from the slot', async () => {
    const bot = await startBooking({
      input: { askFullName: false },
      altegio: {
        ...oneBranch,
        createBooking: async () => ({
          recordId: 2,
          datetime: '2026-05-02T11:45:00+03:00',
          staffName: 'Anna',
        }),
      },
    });
    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:10:00', { text: PHONE }, 'confirm']);
    expect(bot.last.text.params).toMatchObject({ date: '2026-05-02', time: '11:45' });
  });
});

describe('booking machine: full name and phone', () => {
  it('refuses a bad full name with a hint and asks again, then accepts a good one', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'fullName') as Spot);
    expect(bot.last.text.key).toBe('booking.fullName.ask');
    expect(bot.values).toEqual(['back', 'cancel']);
    for (const bad of ['Anna', 'A Smith', 'Anna 123', 'One Two Three Four', 'Anna -', '']) {
      const before = bot.replies.length;
      await bot.text(bad);
      expect(bot.keysSince(before)).toEqual(['booking.fullName.invalid', 'booking.fullName.ask']);
      expect(bot.state).toBe('fullName');
    }
    await bot.text('  ivanova   Anna-Maria  O’Neil ');
    expect(bot.state).toBe('phone');
    await bot.text(PHONE);
    await bot.choose('confirm');
    expect(bot.calls.createBooking[0]?.fullname).toBe('ivanova Anna-Maria O’Neil');
  });

  it('never asks the name when askFullName is off and sends the messenger name', async () => {
    const bot = await startBooking({ input: { askFullName: false, displayName: '  ' }, altegio: oneBranch });
    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:10:00']);
    expect(bot.state).toBe('phone');
    await bot.run([{ text: PHONE }, 'confirm']);
    expect(bot.keys).not.toContain('booking.fullName.ask');
    // A blank messenger name falls back to the neutral placeholder.
    expect(bot.calls.createBooking[0]?.fullname).toBe('Telegram client');
  });

  it('accepts a typed phone in any common format', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'phone') as Spot);
    expect(bot.last).toMatchObject({ text: { key: 'booking.phone.ask' }, askContact: true });
    await bot.text('8 (916) 123-45-67');
    expect(bot.state).toBe('summary');
    expect(bot.last.text.params?.phone).toBe('+79161234567');
  });

  it('refuses an invalid typed phone with a hint and asks again with the contact button', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'phone') as Spot);
    for (const bad of ['call me', '12345', '+1 234 567 890 123 456']) {
      const before = bot.replies.length;
      await bot.text(bad);
      expect(bot.keysSince(before)).toEqual(['booking.phone.invalid', 'booking.phone.ask']);
      expect(bot.last.askContact).toBe(true);
      expect(bot.state).toBe('phone');
    }
  });

  it('takes a shared contact as the phone', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'phone') as Spot);
    await bot.contact('79161234567');
    expect(bot.state).toBe('summary');
    await bot.choose('confirm');
    expect(bot.calls.createBooking[0]?.phone).toBe('79161234567');
  });

  it('refuses a contact without a usable number', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'phone') as Spot);
    await bot.contact('');
    expect(bot.keys.slice(-2)).toEqual(['booking.phone.invalid', 'booking.phone.ask']);
    expect(bot.state).toBe('phone');
  });

  it('offers the phone already linked to the chat as a one-tap answer', async () => {
    const bot = await startBooking({
      input: { phone: '+7 999 000-11-22', askFullName: false },
      altegio: oneBranch,
    });
    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:10:00']);
    expect(bot.values).toEqual(['phone:linked', 'back', 'cancel']);
    expect(bot.last.options?.[0]?.label).toEqual({
      key: 'booking.phone.useLinked',
      params: { phone: '+79990001122' },
    });
    await bot.run(['phone:linked', 'confirm']);
    expect(bot.calls.createBooking[0]?.phone).toBe('79990001122');
  });

  it('remembers a contact shared at another step and re-shows the menu', async () => {
    const bot = await startBooking({ input: { askFullName: false }, altegio: oneBranch });
    const before = bot.replies.length;
    await bot.contact('+7 916 555-44-33');
    expect(bot.keysSince(before)).toEqual(['booking.phone.saved', 'booking.service.ask']);
    expect(bot.state).toBe('service.choosing');
    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:10:00']);
    expect(bot.values[0]).toBe('phone:linked');
  });
});

describe('booking machine: Back', () => {
  it.each(SPOTS)('from $state', async (spot) => {
    const bot = await at(spot);
    if (spot.back === null) {
      expect(bot.values).not.toContain('back');
      const menu = bot.last;
      const before = bot.replies.length;
      await bot.command('back');
      expect(bot.state).toBe(spot.state);
      expect(bot.keysSince(before)).toEqual(['booking.firstStep', menu.text.key]);
      return;
    }
    expect(bot.values).toContain('back');
    await bot.choose('back');
    expect(bot.state).toBe(spot.back);

    const again = await at(spot);
    await again.command('back');
    expect(again.state).toBe(spot.back);
  });

  it('goes from the date to the service when the staff step is off', async () => {
    const bot = await startBooking({ input: { chooseStaff: false } });
    await bot.run(['branch:1', 'svc:11']);
    await bot.choose('back');
    expect(bot.state).toBe('service.choosing');
  });

  it('goes from the phone to the time when no name is asked', async () => {
    const bot = await startBooking({ input: { askFullName: false } });
    await bot.run(['branch:1', 'svc:11', 'staff:5', `date:${DAY}`, 'time:10:00']);
    await bot.command('back');
    expect(bot.state).toBe('time.choosing');
  });

  it('has no Back on the service step when the only branch was chosen automatically', async () => {
    const bot = await startBooking({ altegio: oneBranch });
    expect(bot.values).not.toContain('back');
    await bot.command('back');
    expect(bot.state).toBe('service.choosing');
    expect(bot.keys.slice(-2)).toEqual(['booking.firstStep', 'booking.service.ask']);
  });

  it('keeps the page the client was on when coming back', async () => {
    const services = Array.from({ length: 20 }, (_, i): Service => ({ id: i + 1, name: `Service ${i + 1}` }));
    const bot = await startBooking({ altegio: { ...oneBranch, loadServices: async () => services } });
    await bot.run(['page:1', 'svc:9', 'back']);
    expect(bot.values[0]).toBe('svc:9');
  });

  it('reloads downstream lists after going back and choosing differently', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'date.choosing') as Spot);
    await bot.run(['back', 'staff:6']);
    expect(bot.calls.loadDates.map((query) => query.staffId)).toEqual([5, 6]);
  });
});

describe('booking machine: Cancel', () => {
  it.each(SPOTS)('from $state with the button', async (spot) => {
    const bot = await at(spot);
    expect(bot.values).toContain('cancel');
    await bot.choose('cancel');
    expect(bot.state).toBe('cancelled');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'booking.cancelled' } });
  });

  it.each(SPOTS)('from $state with /cancel', async (spot) => {
    const bot = await at(spot);
    await bot.command('cancel');
    expect(bot.state).toBe('cancelled');
    expect(bot.last.text.key).toBe('booking.cancelled');
  });

  it('while a list is loading', async () => {
    let release: (value: string[]) => void = () => {};
    const bot = await startBooking({
      altegio: { ...oneBranch, loadDates: () => new Promise<string[]>((resolve) => (release = resolve)) },
    });
    await bot.run(['svc:11']);
    bot.actor.send({ type: 'user.choice', value: 'staff:5' });
    expect(bot.actor.getSnapshot().hasTag('busy')).toBe(true);
    await bot.command('cancel');
    expect(bot.state).toBe('cancelled');
    release(['2026-05-01']);
  });

  it('is refused while the booking is being written', async () => {
    let release: () => void = () => {};
    const bot = await startBooking({
      input: { askFullName: false },
      altegio: {
        ...oneBranch,
        createBooking: (request) =>
          new Promise((resolve) => {
            release = () => resolve({ recordId: 5, datetime: request.datetime });
          }),
      },
    });
    await bot.run(['svc:11', 'staff:5', `date:${DAY}`, 'time:10:00', { text: PHONE }]);
    bot.actor.send({ type: 'user.choice', value: 'confirm' });
    expect(bot.state).toBe('creating');
    expect(bot.actor.getSnapshot().hasTag('busy')).toBe(true);
    for (const event of [
      { type: 'user.command', name: 'cancel' },
      { type: 'user.command', name: 'book' },
      { type: 'user.choice', value: 'cancel' },
      { type: 'user.text', text: 'stop' },
      { type: 'user.contact', phone: '79160000000' },
    ] as const) {
      bot.actor.send(event);
      expect(bot.last.text.key).toBe('booking.pleaseWait');
      expect(bot.state).toBe('creating');
    }
    release();
    await bot.settle();
    expect(bot.state).toBe('done');
  });
});

describe('booking machine: reply timeout', () => {
  it.each(SPOTS)('in $state', async (spot) => {
    const bot = await at(spot);
    bot.clock.increment(TIMEOUT_MS - 1);
    expect(bot.state).toBe(spot.state);
    bot.clock.increment(1);
    expect(bot.state).toBe('timedOut');
    expect(bot.status).toBe('done');
    expect(bot.last).toEqual({ text: { key: 'booking.timedOut' } });
  });

  it('takes its length from the input', async () => {
    const bot = await startBooking({ input: { replyTimeoutMs: 5_000 } });
    bot.clock.increment(4_999);
    expect(bot.state).toBe('branch.choosing');
    bot.clock.increment(1);
    expect(bot.state).toBe('timedOut');
  });

  it('starts again from a fresh wait on each step', async () => {
    const bot = await startBooking();
    bot.clock.increment(TIMEOUT_MS - 10);
    await bot.choose('branch:1');
    bot.clock.increment(TIMEOUT_MS - 10);
    expect(bot.state).toBe('service.choosing');
    bot.clock.increment(10);
    expect(bot.state).toBe('timedOut');
  });

  it('does not run while loading or writing', async () => {
    const bot = new Harness({ altegio: { loadBranches: () => new Promise<never>(() => {}) } });
    bot.actor.start();
    bot.clock.increment(TIMEOUT_MS * 10);
    expect(bot.state).toBe('branch.loading');
  });
});

describe('booking machine: Altegio failures', () => {
  const working = defaultAltegio();
  const loaders = LIST_STEPS.map(([step, loader], done) => ({
    loader,
    // Fails once, then loads as usual.
    altegio: { [loader]: failing(working[loader] as () => Promise<unknown>) } as Partial<FakeAltegio>,
    steps: PATH.slice(0, done),
    step,
  }));

  it.each(loaders)(
    'a failed $loader says so, offers Retry, and retrying continues',
    async ({ loader, altegio, steps, step }) => {
      const bot = await startBooking({ altegio });
      await bot.run(steps);
      expect(bot.state).toBe(`${step}.failed`);
      expect(bot.last.text.key).toBe('booking.loadFailed');
      expect(bot.values[0]).toBe('retry');
      await bot.choose('retry');
      expect(bot.state).toBe(`${step}.choosing`);
      expect(bot.calls[loader]).toHaveLength(2);
    },
  );

  it('a taken slot says so, shows the reloaded times, and the new time books without retyping', async () => {
    const later: TimeSlot[] = TIMES.filter((slot) => slot.time !== '10:00');
    let loads = 0;
    const bot = await startBooking({
      altegio: {
        loadTimes: async () => (++loads === 1 ? TIMES : later),
        createBooking: failing(
          async (request) => ({ recordId: 7, datetime: request.datetime, staffName: 'Anna' }),
          {
            kind: 'slot-taken',
            message: 'HTTP 433',
          } satisfies BookingFailure,
        ),
      },
    });
    await bot.run([...PATH, 'confirm']);
    expect(bot.state).toBe('time.choosing');
    expect(bot.keys.slice(-2)).toEqual(['booking.slotTaken', 'booking.time.ask']);
    expect(bot.values).toEqual(['time:12:30', 'time:15:00', 'back', 'cancel']);
    expect(bot.calls.loadTimes).toHaveLength(2);

    await bot.choose('time:12:30');
    expect(bot.state).toBe('summary');
    expect(bot.last.text.params).toMatchObject({ time: '12:30', name: NAME, phone: '+79161234567' });
    await bot.choose('confirm');
    expect(bot.status).toBe('done');
    expect(bot.calls.createBooking.map((request) => [request.datetime, request.idempotencyKey])).toEqual([
      ['2026-05-01T10:00:00+03:00', 'dlg-1:booking:1'],
      ['2026-05-01T12:30:00+03:00', 'dlg-1:booking:2'],
    ]);
  });

  it('unavailable: says so with Retry, and Retry repeats the same idempotency key', async () => {
    const bot = await startBooking({
      altegio: {
        createBooking: failing(async (request) => ({ recordId: 8, datetime: request.datetime }), {
          kind: 'unavailable',
        } satisfies BookingFailure),
      },
    });
    await bot.run([...PATH, 'confirm']);
    expect(bot.state).toBe('creationFailed');
    expect(bot.last.text.key).toBe('booking.failed.unavailable');
    expect(bot.values).toEqual(['retry', 'back', 'cancel']);
    await bot.choose('retry');
    expect(bot.status).toBe('done');
    expect(bot.calls.createBooking.map((request) => request.idempotencyKey)).toEqual([
      'dlg-1:booking:1',
      'dlg-1:booking:1',
    ]);
  });

  it('rejected: says the salon refused', async () => {
    const bot = await startBooking({
      altegio: { createBooking: reject({ kind: 'rejected', message: '422' }) },
    });
    await bot.run([...PATH, 'confirm']);
    expect(bot.last.text.key).toBe('booking.failed.rejected');
  });

  it('an unexpected rejection counts as unavailable', async () => {
    const bot = await startBooking({ altegio: { createBooking: alwaysFailing } });
    await bot.run([...PATH, 'confirm']);
    expect(bot.last.text.key).toBe('booking.failed.unavailable');
  });

  it('a new confirmation after Back gets a new idempotency key', async () => {
    const bot = await startBooking({
      altegio: {
        createBooking: failing(async (request) => ({ recordId: 8, datetime: request.datetime }), {
          kind: 'rejected',
        } satisfies BookingFailure),
      },
    });
    await bot.run([...PATH, 'confirm', 'back', 'confirm']);
    expect(bot.status).toBe('done');
    expect(bot.calls.createBooking.map((request) => request.idempotencyKey)).toEqual([
      'dlg-1:booking:1',
      'dlg-1:booking:2',
    ]);
  });
});

describe('booking machine: unexpected input', () => {
  it('a choice from no current menu changes nothing', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'service.choosing') as Spot);
    const snapshot = JSON.stringify(bot.actor.getPersistedSnapshot());
    const before = bot.replies.length;
    for (const value of ['svc:999', 'branch:2', 'staff:5', 'page:3', 'confirm', 'x'.repeat(200)]) {
      await bot.choose(value);
    }
    expect(bot.keysSince(before)).toEqual(Array(6).fill('booking.oldMenu'));
    expect(JSON.stringify(bot.actor.getPersistedSnapshot())).toBe(snapshot);
  });

  it('a button of the previous step is stale once the next menu is shown', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'staff.choosing') as Spot);
    await bot.choose('svc:12');
    expect(bot.last.text.key).toBe('booking.oldMenu');
    expect(bot.state).toBe('staff.choosing');
    await bot.choose('staff:6');
    expect(bot.calls.loadStaff).toEqual([{ companyId: 1, serviceIds: [11] }]);
  });

  it('a choice while loading is answered, not acted on', async () => {
    const bot = new Harness({ altegio: { loadBranches: () => new Promise<never>(() => {}) } });
    bot.actor.start();
    bot.actor.send({ type: 'user.choice', value: 'branch:1' });
    expect(bot.last.text.key).toBe('booking.oldMenu');
    expect(bot.state).toBe('branch.loading');
  });

  it('free text where a choice is expected gets a hint and the menu again', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'date.choosing') as Spot);
    const menu = bot.last;
    const before = bot.replies.length;
    await bot.text('tomorrow please');
    expect(bot.replies.slice(before)).toEqual([{ text: { key: 'booking.chooseOption' } }, menu]);
    expect(bot.state).toBe('date.choosing');
  });

  it('/book restarts from the beginning and keeps idempotency keys unique', async () => {
    const bot = await startBooking({ altegio: { createBooking: reject({ kind: 'rejected' }) } });
    await bot.run([...PATH, 'confirm']);
    await bot.command('book');
    expect(bot.state).toBe('branch.choosing');
    expect(bot.calls.loadBranches).toHaveLength(2);
    // Nothing typed before the restart is assumed.
    await bot.run(PATH.slice(0, 5));
    expect(bot.state).toBe('fullName');
    await bot.run([...PATH.slice(5), 'confirm']);
    expect(bot.calls.createBooking.map((request) => request.idempotencyKey)).toEqual([
      'dlg-1:booking:1',
      'dlg-1:booking:2',
    ]);
  });

  it('/start restarts too', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'summary') as Spot);
    await bot.command('start');
    expect(bot.state).toBe('branch.choosing');
  });
});

describe('booking machine: empty lists', () => {
  it.each(
    LIST_STEPS.map(([step, load], done) => ({
      altegio: { [load]: async () => [] } as Partial<FakeAltegio>,
      steps: PATH.slice(0, done),
      key: `booking.${step}.none`,
      // The first step shown has no Back.
      values: done === 0 ? ['cancel'] : ['back', 'cancel'],
    })),
  )('says $key and offers only a way out', async ({ altegio, steps, key, values }) => {
    const bot = await startBooking({ altegio });
    await bot.run(steps);
    expect(bot.last.text.key).toBe(key);
    expect(bot.values).toEqual(values);
  });
});

describe('booking machine: paging', () => {
  const services = Array.from({ length: 20 }, (_, i): Service => ({ id: i + 1, name: `Service ${i + 1}` }));
  const ids = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `svc:${from + i}`);

  it('pages 20 services by 8 with Previous/Next', async () => {
    const bot = await startBooking({ altegio: { ...oneBranch, loadServices: async () => services } });
    expect(bot.values).toEqual([...ids(1, 8), 'page:1', 'cancel']);
    await bot.choose('page:1');
    expect(bot.values).toEqual([...ids(9, 16), 'page:0', 'page:2', 'cancel']);
    expect(bot.last.options?.find((option) => option.value === 'page:0')?.label).toEqual({
      key: 'booking.option.previous',
    });
    await bot.choose('page:2');
    expect(bot.values).toEqual([...ids(17, 20), 'page:1', 'cancel']);

    // The first page's buttons are not in the current menu any more.
    await bot.choose('svc:3');
    expect(bot.last.text.key).toBe('booking.oldMenu');
    await bot.choose('svc:18');
    expect(bot.state).toBe('staff.choosing');
    expect(bot.calls.loadStaff[0]?.serviceIds).toEqual([18]);
  });

  it('pages staff keeping "Doesn\'t matter" on every page', async () => {
    const staff = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, name: `Master ${i}` }));
    const bot = await startBooking({ altegio: { ...oneBranch, loadStaff: async () => staff } });
    await bot.choose('svc:11');
    expect(bot.values).toHaveLength(1 + 8 + 1 + 2);
    await bot.choose('page:1');
    expect(bot.values).toEqual(['staff:0', 'staff:108', 'staff:109', 'page:0', 'back', 'cancel']);
  });

  it('pages dates by 7 and times by 12', async () => {
    const dates = Array.from({ length: 10 }, (_, i) => `2026-06-${String(i + 1).padStart(2, '0')}`);
    const times = Array.from({ length: 30 }, (_, i): TimeSlot => {
      const time = `${String(8 + Math.floor(i / 4)).padStart(2, '0')}:${String((i % 4) * 15).padStart(2, '0')}`;
      return { time, datetime: `2026-06-01T${time}:00+03:00` };
    });
    const bot = await startBooking({
      altegio: { ...oneBranch, loadDates: async () => dates, loadTimes: async () => times },
    });
    await bot.run(['svc:11', 'staff:5']);
    expect(bot.values.filter((value) => value.startsWith('date:'))).toHaveLength(7);
    await bot.run(['page:1', 'date:2026-06-10']);
    expect(bot.last.text).toEqual({ key: 'booking.time.ask', params: { count: 30, date: '2026-06-10' } });
    expect(bot.values.filter((value) => value.startsWith('time:'))).toHaveLength(12);
    await bot.run(['page:1', 'page:2']);
    expect(bot.values.filter((value) => value.startsWith('time:'))).toHaveLength(6);
    await bot.choose('time:15:15');
    expect(bot.state).toBe('fullName');
  });
});

describe('booking machine: persistence', () => {
  it('resumes from a JSON round-tripped snapshot and completes', async () => {
    const first = await at(SPOTS.find((spot) => spot.state === 'date.choosing') as Spot);
    const stored = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();

    const second = await new Harness({ snapshot: stored }).start();
    expect(second.state).toBe('date.choosing');
    // Entry actions are not replayed on restore: nothing is said twice.
    expect(second.replies).toEqual([]);
    await second.run(PATH.slice(3));
    await second.choose('confirm');
    expect(second.status).toBe('done');
    expect(second.calls.createBooking).toEqual([
      {
        companyId: 1,
        serviceIds: [11],
        staffId: 5,
        datetime: '2026-05-01T10:00:00+03:00',
        phone: '79161234567',
        fullname: NAME,
        idempotencyKey: 'dlg-1:booking:1',
      },
    ]);
    expect(second.last.text.key).toBe('booking.done');
  });

  it('checks stale choices against the restored menu', async () => {
    const first = await at(SPOTS.find((spot) => spot.state === 'staff.choosing') as Spot);
    const stored = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();
    const second = await new Harness({ snapshot: stored }).start();
    await second.choose('svc:11');
    expect(second.last.text.key).toBe('booking.oldMenu');
    await second.choose('staff:0');
    expect(second.state).toBe('date.choosing');
  });

  it('a write in flight when the snapshot was taken runs again with the same idempotency key', async () => {
    const first = await startBooking({ altegio: { createBooking: () => new Promise<never>(() => {}) } });
    await first.run(PATH);
    first.actor.send({ type: 'user.choice', value: 'confirm' });
    expect(first.state).toBe('creating');
    const stored = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    first.actor.stop();

    const second = await new Harness({ snapshot: stored }).start();
    expect(second.status).toBe('done');
    expect(second.calls.createBooking.map((request) => request.idempotencyKey)).toEqual([
      first.calls.createBooking[0]?.idempotencyKey,
    ]);
  });

  it('keeps only plain data in context', async () => {
    const bot = await at(SPOTS.find((spot) => spot.state === 'summary') as Spot);
    const { context } = bot.actor.getSnapshot();
    expect(JSON.parse(JSON.stringify(context))).toEqual(context);
  });
});

describe('booking machine: structure', () => {
  it('declares the actors, the named delay and the stable id the runtime relies on', () => {
    expect(bookingMachine.id).toBe('booking');
    expect(Object.keys(bookingMachine.implementations.actors).sort()).toEqual([
      'createBooking',
      'loadBranches',
      'loadDates',
      'loadServices',
      'loadStaff',
      'loadTimes',
    ]);
    expect(Object.keys(bookingMachine.implementations.delays)).toEqual(['replyTimeout']);
  });

  it('fails loudly when the runtime forgot to provide an actor', async () => {
    const { createActor, waitFor } = await import('xstate');
    const actor = createActor(bookingMachine, {
      input: {
        dialogueId: 'x',
        replyTimeoutMs: 1000,
        chooseStaff: true,
        anyStaffOption: true,
        askFullName: false,
      },
    }).start();
    const snapshot = await waitFor(actor, (s) => s.matches({ branch: 'failed' }), { timeout: 1000 });
    expect(snapshot.context.menu?.text.key).toBe('booking.loadFailed');
    actor.stop();
  });

  it('tags every loading and writing state busy and gives every waiting state the reply timeout', () => {
    for (const node of getStateNodes(bookingMachine)) {
      const isFinal = node.type === 'final';
      const invokes = node.invoke.length > 0;
      const atomic = node.type === 'atomic';
      if (invokes) expect(node.tags, node.id).toContain('busy');
      if (atomic && !invokes && !isFinal) {
        expect(
          node.after.map((transition) => transition.eventType),
          node.id,
        ).toEqual([`xstate.after.replyTimeout.${node.id}`]);
      }
    }
  });

  it('keeps every menu within Telegram limits (≤100 buttons, ≤64-byte callback data)', () => {
    expect(allReplies.length).toBeGreaterThan(100);
    for (const reply of allReplies) {
      expect(reply.options?.length ?? 0).toBeLessThanOrEqual(100);
      for (const option of reply.options ?? []) {
        expect(Buffer.byteLength(option.value, 'utf8')).toBeLessThanOrEqual(64);
        expect(typeof option.label === 'string' ? option.label : option.label.key).not.toBe('');
      }
    }
  });

  // Must stay last: it checks what the tests above visited.
  it('the tests above visit every state of the machine', () => {
    const paths = getStateNodes(bookingMachine)
      .map((node) => node.id.replace(/^booking\./, ''))
      .filter((path) => path !== 'booking');
    const unvisited = paths.filter(
      (path) => ![...visitedStates].some((visited) => visited === path || visited.startsWith(`${path}.`)),
    );
    expect(unvisited).toEqual([]);
  });
});
