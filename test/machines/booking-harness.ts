/**
 * Drives the booking machine the way the runtime does, with fake Altegio actors, a simulated
 * clock, and every emitted reply recorded.
 */
import { type Actor, createActor, fromPromise, type SimulatedClock, type Snapshot } from 'xstate';
import { type BookingInput, bookingMachine } from '../../machines/booking/index.js';
import type { ReplyMessage } from '../../machines/shared/events.js';
import type {
  BookingRequest,
  BookingResult,
  Branch,
  DatesQuery,
  Service,
  ServicesQuery,
  Staff,
  StaffQuery,
  TimeSlot,
  TimesQuery,
} from '../../src/domain/booking.js';
import { MachineDriver } from './driver.js';

export { failing } from './driver.js';

export const BRANCHES: Branch[] = [
  { id: 1, title: 'Centre', address: '1 Main Street', timezone: 'Europe/Moscow' },
  { id: 2, title: 'Riverside', address: '5 River Road', timezone: 'Europe/Moscow' },
];
export const SERVICES: Service[] = [
  { id: 11, name: 'Haircut', priceMin: 1500, priceMax: 2000 },
  { id: 12, name: 'Manicure', priceMin: 1000 },
  { id: 13, name: 'Massage' },
];
export const STAFF: Staff[] = [
  { id: 5, name: 'Anna', specialization: 'Stylist' },
  { id: 6, name: 'Boris' },
];
export const DATES = ['2026-05-01', '2026-05-02', '2026-05-04'];
export const TIMES: TimeSlot[] = [
  { time: '10:00', datetime: '2026-05-01T10:00:00+03:00' },
  { time: '12:30', datetime: '2026-05-01T12:30:00+03:00' },
  { time: '15:00', datetime: '2026-05-01T15:00:00+03:00' },
];
export const TIMEOUT_MS = 60_000;

/** The fake Altegio: each call may be replaced per test. */
export interface FakeAltegio {
  loadBranches: () => Promise<Branch[]>;
  loadServices: (query: ServicesQuery) => Promise<Service[]>;
  loadStaff: (query: StaffQuery) => Promise<Staff[]>;
  loadDates: (query: DatesQuery) => Promise<string[]>;
  loadTimes: (query: TimesQuery) => Promise<TimeSlot[]>;
  createBooking: (request: BookingRequest) => Promise<BookingResult>;
}

export const defaultAltegio = (): FakeAltegio => ({
  loadBranches: async () => BRANCHES,
  loadServices: async () => SERVICES,
  loadStaff: async () => STAFF,
  loadDates: async () => DATES,
  loadTimes: async () => TIMES,
  createBooking: async (request) => ({
    recordId: 900,
    datetime: request.datetime,
    staffName: STAFF.find((member) => member.id === request.staffId)?.name ?? 'Boris',
  }),
});

export const alwaysFailing = (): Promise<never> => Promise.reject(new Error('ECONNREFUSED'));

/** Settings of the fullest flow: two branches are given by the fake, every optional step on. */
export const FULL_INPUT: BookingInput = {
  dialogueId: 'dlg-1',
  replyTimeoutMs: TIMEOUT_MS,
  chooseStaff: true,
  anyStaffOption: true,
  askFullName: true,
  displayName: 'Anna T.',
};

/** Every state path any harness actor was in, microsteps included (for the coverage check). */
export const visitedStates = new Set<string>();
/** Every reply any harness actor emitted (for the Telegram limits check). */
export const allReplies: ReplyMessage[] = [];

export { statePath } from './driver.js';

type Calls = { [K in keyof FakeAltegio]: Parameters<FakeAltegio[K]>[0][] };

export function providedMachine(altegio: FakeAltegio, calls: Calls) {
  return bookingMachine.provide({
    actors: {
      loadBranches: fromPromise<Branch[]>(() => {
        calls.loadBranches.push(undefined);
        return altegio.loadBranches();
      }),
      loadServices: fromPromise<Service[], ServicesQuery>(({ input }) => {
        calls.loadServices.push(input);
        return altegio.loadServices(input);
      }),
      loadStaff: fromPromise<Staff[], StaffQuery>(({ input }) => {
        calls.loadStaff.push(input);
        return altegio.loadStaff(input);
      }),
      loadDates: fromPromise<string[], DatesQuery>(({ input }) => {
        calls.loadDates.push(input);
        return altegio.loadDates(input);
      }),
      loadTimes: fromPromise<TimeSlot[], TimesQuery>(({ input }) => {
        calls.loadTimes.push(input);
        return altegio.loadTimes(input);
      }),
      createBooking: fromPromise<BookingResult, BookingRequest>(({ input }) => {
        calls.createBooking.push(input);
        return altegio.createBooking(input);
      }),
    },
  });
}

export interface StartOptions {
  input?: Partial<BookingInput>;
  altegio?: Partial<FakeAltegio>;
  /** Resume a persisted snapshot instead of starting fresh. */
  snapshot?: Snapshot<unknown>;
  clock?: SimulatedClock;
}

export type BookingActor = Actor<ReturnType<typeof providedMachine>>;

export class Harness extends MachineDriver {
  readonly calls: Calls = {
    loadBranches: [],
    loadServices: [],
    loadStaff: [],
    loadDates: [],
    loadTimes: [],
    createBooking: [],
  };
  readonly actor: BookingActor;

  constructor(options: StartOptions = {}) {
    super(options.clock);
    const altegio = { ...defaultAltegio(), ...options.altegio };
    const machine = providedMachine(altegio, this.calls);
    const input: BookingInput = { ...FULL_INPUT, ...options.input };
    this.actor = createActor(machine, {
      clock: this.clock,
      input,
      ...(options.snapshot ? { snapshot: options.snapshot } : {}),
      inspect: this.recorder(visitedStates),
    });
    this.actor.on('reply', ({ message }) => {
      this.replies.push(message);
      allReplies.push(message);
    });
  }

  contact(phone: string): Promise<void> {
    return this.send({ type: 'user.contact', phone });
  }

  command(name: 'start' | 'book' | 'cancel' | 'back'): Promise<void> {
    return this.send({ type: 'user.command', name });
  }

  /** Runs a route: strings are choices, `{ text }` / `{ contact }` are typed messages. */
  async run(steps: readonly Step[]): Promise<void> {
    for (const step of steps) {
      if (typeof step === 'string') await this.choose(step);
      else if ('text' in step) await this.text(step.text);
      else await this.contact(step.contact);
    }
  }

  /** Keys of the replies emitted since `count` replies. */
  keysSince(count: number): string[] {
    return this.keys.slice(count);
  }
}

export type Step = string | { text: string } | { contact: string };

export function startBooking(options: StartOptions = {}): Promise<Harness> {
  return new Harness(options).start();
}
