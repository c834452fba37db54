/**
 * Admin tasks: things a human at the salon must look at (a status change, a poor rating).
 *
 * @module
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type Task, type TaskKind, tasks } from './schema.js';

/** What creating a task needs. */
export interface NewTask {
  kind: TaskKind;
  title: string;
  recordId: number;
  companyId: number;
  clientPhone?: string | null;
  /** The rating given, for `poor-rating` tasks. */
  rating?: number | null;
  /** The client's comment, for `poor-rating` tasks (it may arrive later, see `setComment`). */
  comment?: string | null;
  at?: number;
}

/** Repository of {@link tasks}; see {@link createTasks}. */
export interface TasksRepo {
  create(task: NewTask): Task;
  get(id: number): Task | undefined;
  /** Newest first; `done` filters open (false) or finished (true) tasks. */
  list(options?: { done?: boolean; limit?: number }): Task[];
  /**
   * Marks a task done and returns it, or undefined for an unknown id. Marking it again keeps the
   * first `done_at`, so a double click in an admin page changes nothing.
   */
  markDone(id: number, at?: number): Task | undefined;
  /** Adds the comment a client wrote after a poor rating to its task. */
  setComment(id: number, comment: string): boolean;
  /** The newest task of a kind about a record, e.g. the poor-rating task a comment belongs to. */
  latestForRecord(companyId: number, recordId: number, kind: TaskKind): Task | undefined;
}

/** Creates the tasks repository. */
export function createTasks(db: Db, now: Now = Date.now): TasksRepo {
  return {
    create(task) {
      return db
        .insert(tasks)
        .values({
          kind: task.kind,
          title: task.title,
          recordId: task.recordId,
          companyId: task.companyId,
          clientPhone: task.clientPhone ?? null,
          rating: task.rating ?? null,
          comment: task.comment ?? null,
          createdAt: task.at ?? now(),
          done: false,
        })
        .returning()
        .get();
    },

    get(id) {
      return db.select().from(tasks).where(eq(tasks.id, id)).get();
    },

    list(options = {}) {
      return db
        .select()
        .from(tasks)
        .where(options.done === undefined ? undefined : eq(tasks.done, options.done))
        .orderBy(desc(tasks.createdAt), desc(tasks.id))
        .limit(options.limit ?? 500)
        .all();
    },

    markDone(id, at = now()) {
      return db
        .update(tasks)
        .set({ done: true, doneAt: sql`coalesce(${tasks.doneAt}, ${at})` })
        .where(eq(tasks.id, id))
        .returning()
        .get();
    },

    setComment(id, comment) {
      return db.update(tasks).set({ comment }).where(eq(tasks.id, id)).run().changes > 0;
    },

    latestForRecord(companyId, recordId, kind) {
      return db
        .select()
        .from(tasks)
        .where(and(eq(tasks.companyId, companyId), eq(tasks.recordId, recordId), eq(tasks.kind, kind)))
        .orderBy(desc(tasks.id))
        .get();
    },
  };
}
