import type { AnyStateMachine } from 'xstate';
import type { Language } from '../domain/settings.js';
import type { Conversation } from '../store/index.js';

export type { Language };

/** What a machine's input may be built from when a dialogue starts. */
export interface StartContext {
  conversation: Conversation;
  language: Language;
  /** The client's name as the messenger shows it, when known. */
  displayName?: string;
  /** Unique for the new dialogue: machines build idempotency keys of Altegio writes from it. */
  dialogueKey: string;
}

/**
 * One kind of dialogue the runtime can run. `machine` already has its actors provided (the
 * runtime's Altegio calls), so the runtime itself knows nothing of booking or reminders.
 */
export interface MachineEntry {
  /** Stable id, stored with every snapshot (`booking`, `reminder`, `feedback`). */
  id: string;
  /** Bumped when a change makes old snapshots unsafe to resume; such dialogues end politely. */
  version: number;
  machine: AnyStateMachine;
  /** How a client starts it (`/book`); machines the engine starts get their input from the caller. */
  input?(context: StartContext): unknown;
}

export type MachineRegistry = Readonly<Record<string, MachineEntry>>;
