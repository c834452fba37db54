/**
 * Dialogues: persisted XState snapshots, one active per conversation.
 *
 * @module
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, Now } from './db.js';
import { type Dialogue, type DialogueStatus, dialogues } from './schema.js';

/** What starting a dialogue needs. */
export interface NewDialogue {
  conversationId: number;
  /** Registry key of the machine (`booking`, `reminder`, `feedback`). */
  machineId: string;
  machineVersion: number;
  /** The first persisted snapshot of the started actor. */
  snapshot: unknown;
  /** The Altegio record a reminder or feedback dialogue is about. */
  recordId?: number | null;
  /** The status its first step ended in. Default `active`. */
  status?: DialogueStatus;
}

/**
 * Thrown by {@link DialoguesRepo.create} when the conversation already has an active dialogue.
 * The runtime decides what happens to the old one (close it politely, or keep it); the store
 * only guarantees there are never two.
 */
export class ActiveDialogueExistsError extends Error {
  override readonly name = 'ActiveDialogueExistsError';
  constructor(
    readonly conversationId: number,
    options?: { cause?: unknown },
  ) {
    super(`conversation ${conversationId} already has an active dialogue`, options);
  }
}

/** Repository of {@link dialogues}; see {@link createDialogues}. */
export interface DialoguesRepo {
  /** Starts a dialogue; throws {@link ActiveDialogueExistsError} if one is active already. */
  create(input: NewDialogue): Dialogue;
  get(id: number): Dialogue | undefined;
  /** The dialogue an inbound message of this conversation goes to, if any. */
  getActive(conversationId: number): Dialogue | undefined;
  /**
   * Stores the snapshot after a step, with the status the step ended in, and bumps the row's
   * version. With `expectedVersion`, only over that version (compare-and-set). Returns false when
   * nothing was written: no such dialogue, or (with `expectedVersion`) a newer version is stored.
   */
  save(id: number, snapshot: unknown, status: DialogueStatus, expectedVersion?: number): boolean;
  /** Ends (or re-labels) a dialogue without touching its snapshot; bumps its version. */
  setStatus(id: number, status: DialogueStatus): boolean;
  /** Dialogues about one Altegio record, newest first (a deleted record ends its reminder). */
  findByRecord(recordId: number): Dialogue[];
  /** Newest first, for `GET /api/dialogues`. */
  list(options?: { status?: DialogueStatus; limit?: number }): Dialogue[];
}

/** Creates the dialogues repository. */
export function createDialogues(db: Db, now: Now = Date.now): DialoguesRepo {
  // Load and save run on every inbound message and every timer: prepared once.
  const getStatement = db
    .select()
    .from(dialogues)
    .where(eq(dialogues.id, sql.placeholder('id')))
    .prepare();
  const getActiveStatement = db
    .select()
    .from(dialogues)
    .where(
      and(eq(dialogues.conversationId, sql.placeholder('conversationId')), eq(dialogues.status, 'active')),
    )
    .prepare();
  // Every booking starts one: prepared, and the row is built here instead of read back.
  const createStatement = db
    .insert(dialogues)
    .values({
      conversationId: sql.placeholder('conversationId'),
      machineId: sql.placeholder('machineId'),
      machineVersion: sql.placeholder('machineVersion'),
      snapshot: sql.placeholder('snapshot'),
      status: sql.placeholder('status'),
      recordId: sql.placeholder('recordId'),
      createdAt: sql.placeholder('createdAt'),
      updatedAt: sql.placeholder('updatedAt'),
    })
    .prepare();
  // Every save bumps the version, so a compare-and-save over the version read refuses a stale step.
  const saved = {
    snapshot: sql.placeholder('snapshot'),
    // update().set() takes placeholders only for columns typed loosely; wrap the others in sql``.
    status: sql`${sql.placeholder('status')}`,
    updatedAt: sql`${sql.placeholder('now')}`,
    version: sql`${dialogues.version} + 1`,
  };
  const saveStatement = db
    .update(dialogues)
    .set(saved)
    .where(eq(dialogues.id, sql.placeholder('id')))
    .prepare();
  const compareAndSaveStatement = db
    .update(dialogues)
    .set(saved)
    .where(and(eq(dialogues.id, sql.placeholder('id')), eq(dialogues.version, sql.placeholder('version'))))
    .prepare();

  return {
    create(input) {
      const at = now();
      const row: Omit<Dialogue, 'id'> = {
        conversationId: input.conversationId,
        machineId: input.machineId,
        machineVersion: input.machineVersion,
        snapshot: input.snapshot,
        status: input.status ?? 'active',
        recordId: input.recordId ?? null,
        version: 0,
        createdAt: at,
        updatedAt: at,
      };
      try {
        return { id: Number(createStatement.run(row).lastInsertRowid), ...row };
      } catch (error) {
        if (isUniqueViolation(error))
          throw new ActiveDialogueExistsError(input.conversationId, { cause: error });
        throw error;
      }
    },

    get(id) {
      return getStatement.get({ id });
    },

    getActive(conversationId) {
      return getActiveStatement.get({ conversationId });
    },

    save(id, snapshot, status, expectedVersion) {
      // The placeholder goes through the JSON column's mapper, so the object is passed as is.
      const values = { id, snapshot, status, now: now() };
      const result =
        expectedVersion === undefined
          ? saveStatement.run(values)
          : compareAndSaveStatement.run({ ...values, version: expectedVersion });
      return result.changes > 0;
    },

    setStatus(id, status) {
      return (
        db
          .update(dialogues)
          .set({ status, updatedAt: now(), version: sql`${dialogues.version} + 1` })
          .where(eq(dialogues.id, id))
          .run().changes > 0
      );
    },

    findByRecord(recordId) {
      return db
        .select()
        .from(dialogues)
        .where(eq(dialogues.recordId, recordId))
        .orderBy(desc(dialogues.id))
        .all();
    },

    list(options = {}) {
      return db
        .select()
        .from(dialogues)
        .where(options.status ? eq(dialogues.status, options.status) : undefined)
        .orderBy(desc(dialogues.updatedAt), desc(dialogues.id))
        .limit(options.limit ?? 100)
        .all();
    },
  };
}

function isUniqueViolation(error: unknown): boolean {
  // drizzle wraps driver errors (DrizzleQueryError) with the SqliteError as `cause`.
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if ((current as Error & { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return true;
  }
  return false;
}
