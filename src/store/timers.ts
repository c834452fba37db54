/**
 * Durable timers of dialogues: the `after` deadlines XState cannot restore by itself.
 *
 * @module
 */
import { and, asc, eq, isNull, min, sql } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type Timer, type TimerEvent, timers } from './schema.js';

/** One delayed event a machine scheduled, as the runtime read it off the actor system's scheduler. */
export interface TimerInput {
  /** XState's id of the delayed send; a later `xstate.cancel` names it. */
  sendId: string;
  /** The event to deliver. */
  event: TimerEvent;
  /** Wall-clock deadline in epoch ms (scheduling time + resolved delay). */
  dueAt: number;
}

/** Repository of {@link timers}; see {@link createTimers}. */
export interface TimersRepo {
  /**
   * Records a scheduled delayed event. Scheduling a `sendId` the dialogue already has replaces
   * its deadline and event and makes it pending again: re-entering a state re-uses the id.
   */
  schedule(dialogueId: number, timer: TimerInput): void;
  /** Forgets a delayed event the machine cancelled (left its state). Returns whether it existed. */
  cancel(dialogueId: number, sendId: string): boolean;
  /**
   * Moves a pending timer to `dueAt` (its delivery failed; it is tried again then). Returns false
   * when it is no longer pending.
   */
  reschedule(id: number, dueAt: number): boolean;
  /** Drops every timer of a dialogue (it ended). Returns how many. */
  deleteForDialogue(dialogueId: number): number;
  /** Pending timers of a dialogue, soonest first, for a runtime that hydrates it. */
  pendingForDialogue(dialogueId: number): Timer[];
  /**
   * Unfired timers due at or before `now`, soonest first: what the sweeper delivers, including
   * deadlines that passed while the process was down.
   */
  due(now: number, limit?: number): Timer[];
  /** The soonest unfired deadline, so the sweeper can sleep until then. */
  nextDueAt(): number | undefined;
  /**
   * Marks a timer delivered. Returns false if it was fired, cancelled or rescheduled meanwhile,
   * so a late sweep does not deliver it twice. Call it in the transaction that saves the
   * snapshot after delivery.
   */
  markFired(id: number, at?: number): boolean;
}

/** Creates the timers repository. */
export function createTimers(db: Db, now: Now = Date.now): TimersRepo {
  // Scheduling happens on most dialogue steps and the due query on every sweep: prepared once.
  const scheduleStatement = db
    .insert(timers)
    .values({
      dialogueId: sql.placeholder('dialogueId'),
      sendId: sql.placeholder('sendId'),
      event: sql.placeholder('event'),
      dueAt: sql.placeholder('dueAt'),
      firedAt: null,
    })
    .onConflictDoUpdate({
      target: [timers.dialogueId, timers.sendId],
      set: { event: sql`excluded.event`, dueAt: sql`excluded.due_at`, firedAt: null },
    })
    .prepare();
  const cancelStatement = db
    .delete(timers)
    .where(
      and(eq(timers.dialogueId, sql.placeholder('dialogueId')), eq(timers.sendId, sql.placeholder('sendId'))),
    )
    .prepare();
  const dueStatement = db
    .select()
    .from(timers)
    .where(and(isNull(timers.firedAt), sql`${timers.dueAt} <= ${sql.placeholder('now')}`))
    .orderBy(asc(timers.dueAt), asc(timers.id))
    .limit(sql.placeholder('limit'))
    .prepare();
  const markFiredStatement = db
    .update(timers)
    .set({ firedAt: sql`${sql.placeholder('at')}` })
    .where(and(eq(timers.id, sql.placeholder('id')), isNull(timers.firedAt)))
    .prepare();

  const schedule = (dialogueId: number, timer: TimerInput): void => {
    scheduleStatement.run({ dialogueId, sendId: timer.sendId, event: timer.event, dueAt: timer.dueAt });
  };
  const deleteForDialogue = (dialogueId: number): number =>
    db.delete(timers).where(eq(timers.dialogueId, dialogueId)).run().changes;

  return {
    schedule,

    cancel(dialogueId, sendId) {
      return cancelStatement.run({ dialogueId, sendId }).changes > 0;
    },

    reschedule(id, dueAt) {
      return (
        db
          .update(timers)
          .set({ dueAt })
          .where(and(eq(timers.id, id), isNull(timers.firedAt)))
          .run().changes > 0
      );
    },

    deleteForDialogue,

    pendingForDialogue(dialogueId) {
      return db
        .select()
        .from(timers)
        .where(and(eq(timers.dialogueId, dialogueId), isNull(timers.firedAt)))
        .orderBy(asc(timers.dueAt), asc(timers.id))
        .all();
    },

    due(at, limit = 100) {
      return dueStatement.all({ now: at, limit });
    },

    nextDueAt() {
      const row = db
        .select({ next: min(timers.dueAt) })
        .from(timers)
        .where(isNull(timers.firedAt))
        .get();
      return row?.next ?? undefined;
    },

    markFired(id, at = now()) {
      return markFiredStatement.run({ id, at }).changes > 0;
    },
  };
}
