/**
 * One set of Postgres connections for many schemas: a tenant host runs an engine per salon, and
 * a pool per salon would hold connections by the thousand. Each salon's engine gets a
 * {@link SchemaPool} instead: a `pg.Pool` to drizzle, pg-boss and our repositories, which borrows
 * a connection of the shared pool and points it at the salon's schema before handing it out.
 *
 * A connection remembers the schema it was last pointed at, so `SET search_path` is sent only
 * when it passes from one salon to another. Everything on a shared pool must go through a
 * `SchemaPool` (the host's own tables too, as schema `public`): a bare checkout could find the
 * previous borrower's schema.
 *
 * @module
 */
import pg from 'pg';

/** A schema name safe to put in SQL unquoted: lower-case letters, digits and `_`. */
export function assertSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`bad schema name: ${schema}`);
  return schema;
}

/** The schema each connection of a shared pool was last pointed at. */
const pointedAt = new WeakMap<pg.PoolClient, string>();

/** Connections each schema borrowed (one per statement outside a transaction, one per transaction), for the benchmarks. */
export const checkoutsBySchema = new Map<string, number>();

export class SchemaPool extends pg.Pool {
  private released = false;

  constructor(
    /** The host's pool whose connections this one lends. */
    readonly shared: pg.Pool,
    readonly schema: string,
  ) {
    // The base class's own connections are never opened: every checkout is the shared pool's.
    super({ max: 1 });
    assertSchemaName(schema);
  }

  // The promise form only: drizzle, pg-boss and our code never pass a callback.
  override connect(): Promise<pg.PoolClient>;
  override connect(callback: never): void;
  override async connect(): Promise<pg.PoolClient> {
    if (this.released) throw new Error(`the pool of schema ${this.schema} has ended`);
    checkoutsBySchema.set(this.schema, (checkoutsBySchema.get(this.schema) ?? 0) + 1);
    const client = await this.shared.connect();
    if (pointedAt.get(client) === this.schema) return client;
    try {
      await client.query(`SET search_path TO ${this.schema}`);
    } catch (error) {
      // A connection that cannot be pointed is not handed to anyone else either.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    pointedAt.set(client, this.schema);
    return client;
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool's own overloads; the arguments pass through unchanged.
  override async query(...args: any[]): Promise<any> {
    const client = await this.connect();
    try {
      return await (client.query as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      client.release();
    }
  }

  /**
   * For statements that name their schema in full (pg-boss's: plans.js qualifies every table and
   * function with it): run on a shared connection as it is, without pointing it first. A salon's
   * queue fetches and looks would otherwise pay a `SET search_path` nearly every time, since the
   * host's connections pass from salon to salon between them.
   */
  qualifiedQuery(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    if (this.released) return Promise.reject(new Error(`the pool of schema ${this.schema} has ended`));
    checkoutsBySchema.set(this.schema, (checkoutsBySchema.get(this.schema) ?? 0) + 1);
    return this.shared.query(text, values);
  }

  /** Ends this schema's use of the shared pool; the shared connections stay open for the others. */
  override async end(): Promise<void> {
    this.released = true;
  }
}
