/**
 * The store's ports: what the engine may ask of storage, whichever database holds it.
 *
 * Each repository is declared once, synchronously, next to its SQLite implementation
 * (`conversations.ts`, `jobs.ts`, …). The port is the same interface with every answer a promise,
 * because Postgres drivers answer asynchronously; SQLite's implementation resolves at once.
 * Row types (`Conversation`, `Job`, …) come from `schema.ts` and are the same in both dialects.
 *
 * A transaction is implicit: repository calls made while {@link Store.transaction}'s callback runs
 * (in its async context) join that transaction, so a caller writes `await store.outbox.enqueue(…)`
 * inside or outside one alike.
 *
 * @module
 */
import type { ConversationsRepo } from './conversations.js';
import type { DeliveriesRepo } from './deliveries.js';
import type { DialoguesRepo } from './dialogues.js';
import type { InboundRepo } from './inbound.js';
import type { JobsRepo } from './jobs.js';
import type { OutboxRepo } from './outbox.js';
import type { RatingsRepo } from './ratings.js';
import type { RecordsRepo } from './records.js';
import type { SyncsRepo } from './syncs.js';
import type { TasksRepo } from './tasks.js';
import type { TimersRepo } from './timers.js';

/** `Repo` with every method answering a promise of what it answered. */
export type Port<Repo> = {
  [K in keyof Repo]: Repo[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

export type ConversationsPort = Port<ConversationsRepo>;
export type DialoguesPort = Port<DialoguesRepo>;
export type TimersPort = Port<TimersRepo>;
export type JobsPort = Port<JobsRepo>;
export type OutboxPort = Port<OutboxRepo>;
export type InboundPort = Port<InboundRepo>;
export type RecordsPort = Port<RecordsRepo>;
export type DeliveriesPort = Port<DeliveriesRepo>;
export type TasksPort = Port<TasksRepo>;
export type RatingsPort = Port<RatingsRepo>;
export type SyncsPort = Port<SyncsRepo>;

/** Which database a store is on. */
export type Dialect = 'sqlite' | 'postgres';

/** Every repository of a store. */
export interface Repositories {
  conversations: ConversationsPort;
  dialogues: DialoguesPort;
  timers: TimersPort;
  jobs: JobsPort;
  outbox: OutboxPort;
  inbound: InboundPort;
  records: RecordsPort;
  deliveries: DeliveriesPort;
  tasks: TasksPort;
  ratings: RatingsPort;
  /** Last reconcile of each branch's records with Altegio. */
  syncs: SyncsPort;
}

/** An opened store, on either dialect. */
export interface Store extends Repositories {
  readonly dialect: Dialect;
  /** Migrations applied while opening: 0 when the database was up to date. */
  readonly migrationsApplied: number;
  /**
   * Runs `fn` in one transaction across repositories: all of its writes or none. Repository
   * calls in `fn`'s async context join it. Do the I/O (Altegio, channels) before or after, never
   * inside: on SQLite the connection is held for the whole callback.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Inside {@link transaction}: waits until no other transaction holds `key`, then holds it until
   * this transaction ends. For a read-then-write that two callers (or two processes) may run at
   * once, such as joining a client's open notice. Throws outside a transaction, where it would
   * protect nothing.
   */
  lock(key: string): Promise<void>;
  /** Closes the connection(s); safe to call twice. */
  close(): Promise<void>;
}
