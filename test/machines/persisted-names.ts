/**
 * The names a persisted dialogue holds: every state id (snapshots store state values), every
 * delayed event (stored timers hold `xstate.after.<delay>.<state id>`) and every invoked actor's id
 * and source (a snapshot taken while a load or write runs restores it by both).
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { BOOKING_MACHINE_VERSION, bookingMachine } from '../../machines/booking/index.js';
import { FEEDBACK_MACHINE_VERSION, feedbackMachine } from '../../machines/feedback/index.js';
import { REMINDER_MACHINE_VERSION, reminderMachine } from '../../machines/reminder/index.js';

/** Every machine the runtime persists, with the version its snapshots carry. */
export const PERSISTED_MACHINES: ReadonlyArray<{ machine: AnyStateMachine; version: number }> = [
  { machine: bookingMachine, version: BOOKING_MACHINE_VERSION },
  { machine: reminderMachine, version: REMINDER_MACHINE_VERSION },
  { machine: feedbackMachine, version: FEEDBACK_MACHINE_VERSION },
];

export interface PersistedNames {
  stateIds: string[];
  delayedEvents: string[];
  /** `<invoke id> <actor source>`. */
  invokes: string[];
}

/** The sorted state ids and delayed-event types of a machine. */
export function persistedNames(machine: AnyStateMachine): PersistedNames {
  const stateIds: string[] = [];
  const delayedEvents: string[] = [];
  const invokes: string[] = [];
  const walk = (node: AnyStateNode) => {
    stateIds.push(node.id);
    for (const transition of node.after) delayedEvents.push(transition.eventType);
    for (const invoke of node.invoke) invokes.push(`${invoke.id} ${String(invoke.src)}`);
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return {
    stateIds: stateIds.sort(),
    delayedEvents: [...new Set(delayedEvents)].sort(),
    invokes: invokes.sort(),
  };
}

/** The key of a machine's entry in `persisted-names.json`. */
export function entryKey(machine: AnyStateMachine, version: number): string {
  return `${machine.id}@${version}`;
}

/** Names `recorded` has and `current` lacks, and the reverse. */
export function namesDiff(
  recorded: PersistedNames,
  current: PersistedNames,
): { missing: string[]; added: string[] } {
  const all = (names: PersistedNames) => [...names.stateIds, ...names.delayedEvents, ...names.invokes];
  const had = new Set(all(recorded));
  const has = new Set(all(current));
  return {
    missing: [...had].filter((name) => !has.has(name)),
    added: [...has].filter((name) => !had.has(name)),
  };
}
