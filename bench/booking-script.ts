/**
 * The booking script the dialogue benchmarks drive: a client books one visit in seven messages,
 * with Altegio answered in-process at once, so the figures are the engine's own work.
 */
import type { UserEvent } from '../machines/shared/events.js';
import { createDialogueKinds } from '../src/dialogues/machines.js';
import { createDialogueRuntime, type DialogueRuntime } from '../src/dialogues/runtime.js';
import type { DialogueStore } from '../src/dialogues/store-port.js';
import type { BookingPort } from '../src/domain/booking.js';
import { defaultSettings } from '../src/domain/settings.js';
import { createLogger } from '../src/log.js';
import { renderReply } from '../src/templates/render-reply.js';

/** Altegio as a booking dialogue sees it, answered at once. */
export const instantBooking: BookingPort = {
  loadBranches: async () => [{ id: 101, title: 'Centre', address: 'Main st. 1', timezone: 'Europe/Moscow' }],
  loadServices: async () =>
    Array.from({ length: 10 }, (_, i) => ({ id: 301 + i, name: `Service ${i + 1}`, durationSeconds: 3600 })),
  loadStaff: async () => [
    { id: 1001, name: 'Anna' },
    { id: 1002, name: 'Maria' },
    { id: 1003, name: 'Olga' },
  ],
  loadDates: async () => Array.from({ length: 7 }, (_, i) => `2030-01-${String(i + 10).padStart(2, '0')}`),
  loadTimes: async ({ date }) =>
    Array.from({ length: 12 }, (_, i) => {
      const time = `${String(9 + i).padStart(2, '0')}:00`;
      return { time, datetime: `${date}T${time}:00+03:00` };
    }),
  createBooking: async (request) => ({ recordId: 1, datetime: request.datetime }),
};

/** One client's messages, in order: /start, service, master, day, time, phone, confirm. */
export const BOOKING_SCRIPT: ReadonlyArray<(user: number) => UserEvent> = [
  () => ({ type: 'user.command', name: 'start' }),
  () => ({ type: 'user.choice', value: 'svc:301' }),
  () => ({ type: 'user.choice', value: 'staff:1001' }),
  () => ({ type: 'user.choice', value: 'date:2030-01-12' }),
  () => ({ type: 'user.choice', value: 'time:10:00' }),
  (user) => ({ type: 'user.text', text: `+7916${String(user).padStart(7, '0')}` }),
  () => ({ type: 'user.choice', value: 'confirm' }),
];

/** The real dialogue runtime on `store`, with default settings and no channel I/O. */
export function createBenchRuntime(store: DialogueStore): DialogueRuntime {
  const settings = defaultSettings();
  const clock = { now: () => Date.now() };
  return createDialogueRuntime({
    store,
    kinds: createDialogueKinds({
      settings: () => settings,
      booking: instantBooking,
      reminder: {
        confirmVisit: async () => {},
        cancelVisit: async () => {},
        checkCancellation: async () => ({
          now: Date.now(),
          record: { datetime: '', prepaid: false, deleted: true },
        }),
      },
      feedback: { saveRating: async () => {}, saveComment: async () => {} },
    }),
    clock,
    logger: createLogger({ level: 'silent' }),
    render: (message, language) => renderReply(message, language),
    defaultLanguage: () => 'en',
  });
}

/**
 * Sends step `step` of user `user`'s script through `runtime`. Update ids are unique per user
 * and step, so that processes sharing a database never collide.
 */
export function sendStep(runtime: DialogueRuntime, user: number, step: number): Promise<void> {
  const event = BOOKING_SCRIPT[step]?.(user);
  if (!event) throw new Error(`no step ${step}`);
  return runtime.handleInbound({
    channel: 'telegram',
    chatId: String(100_000 + user),
    updateId: String(user * BOOKING_SCRIPT.length + step + 1),
    event,
  });
}
