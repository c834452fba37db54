import type { AnyStateMachine } from 'xstate';
import type { Language } from '../domain/settings.js';
import type { Conversation } from '../store/schema.js';

export type { Language };

/** What a machine's input is built from when a dialogue starts. */
export interface StartContext<Data = unknown> {
  conversation: Conversation;
  language: Language;
  /** The client's name as the messenger shows it, when known. */
  displayName?: string;
  /** Unique for the new dialogue: machines build idempotency keys of Altegio writes from it. */
  dialogueKey: string;
  /**
   * What the engine knows when it starts one (a reminder's text and record); undefined when a
   * client's command starts it.
   */
  data: Data;
}

/**
 * One kind of dialogue, declared once: the runtime runs every kind the same way and knows
 * nothing of booking or reminders. `machine` already has its actors provided (its Altegio calls).
 */
export interface DialogueKind<Data = unknown> {
  /** Stable id, stored with every snapshot (`booking`, `reminder`, `feedback`). */
  id: string;
  /** Bumped when a change makes old snapshots unsafe to resume; such dialogues end politely. */
  version: number;
  machine: AnyStateMachine;
  /** Client commands that begin it (`start`, `book`); a kind the engine starts has none. */
  startCommands: readonly string[];
  /**
   * Whether a dialogue the engine starts (a reminder) may end this one. The client's own start
   * command always may; a kind that may not be interrupted makes the engine's start wait.
   */
  interruptible: boolean;
  /** The machine's input, from the settings as they are now and what the start knows. */
  input(context: StartContext<Data>): unknown;
}

/** Every kind the runtime can run, by id. */
export type DialogueKinds = Readonly<Record<string, DialogueKind>>;
