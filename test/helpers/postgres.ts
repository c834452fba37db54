/**
 * Postgres for tests: a fresh, empty database per test, dropped afterwards.
 *
 * Where the server comes from:
 * - `TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5433/postgres`), a role allowed to
 *   create databases: CI starts one cluster for the whole run and sets it (`.ci/run`);
 * - otherwise, when Postgres 15's binaries are installed (Debian's `postgresql` package), this
 *   module starts a throw-away cluster of its own for the test file's process, on a free loopback
 *   port with trust authentication, and stops it when the file's tests are done;
 * - otherwise Postgres tests cannot run: outside CI {@link postgresSupport} says so and the
 *   caller leaves them out visibly; in CI (`CI=true`) that is an error, so they are never skipped
 *   there without anyone noticing.
 *
 * @example
 * ```ts
 * const server = await startTestPostgres();            // beforeAll
 * const database = await server.createDatabase();      // per test: database.url
 * await database.drop();                               // afterEach
 * await server.stop();                                 // afterAll
 * ```
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian's `postgresql` package puts the server binaries this module runs. */
export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';

/** Whether Postgres tests can run here, and if not, why. */
export type PostgresSupport = { available: true } | { available: false; reason: string };

/**
 * Whether this process can reach a Postgres for tests. In CI a missing Postgres throws, because a
 * suite that silently drops its Postgres half would pass while testing half of what it claims.
 */
export function postgresSupport(): PostgresSupport {
  if (process.env.TEST_DATABASE_URL) return { available: true };
  if (existsSync(join(POSTGRES_BIN, 'initdb'))) return { available: true };
  const reason = `no Postgres for tests: TEST_DATABASE_URL is unset and ${POSTGRES_BIN}/initdb is missing (apt-get install postgresql)`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${reason}; CI must run the Postgres tests`);
  return { available: false, reason };
}

/** One database made for a test. */
export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string;
  /** Drops the database, closing whatever connections are still open to it; safe to call twice. */
  drop(): Promise<void>;
}

/** A server tests make databases on; see the module comment. */
export interface TestPostgres {
  /** Connection string of the server's maintenance database (`postgres`). */
  adminUrl: string;
  /** Whether this module started the server (so its processes are on this machine). */
  local: boolean;
  /** A fresh empty database `t_<random>`. */
  createDatabase(): Promise<TestDatabase>;
  /** Drops what is left and, when this module started the cluster, stops it. */
  stop(): Promise<void>;
}

/** Options of {@link startTestPostgres}. */
export interface TestPostgresOptions {
  /**
   * A cluster of its own with Postgres's default durability (fsync and synchronous commit on),
   * for benchmarks whose figures must be production's; `TEST_DATABASE_URL` is not used. Default:
   * off, since tests throw the data away.
   */
  durable?: boolean;
  /** A server to use instead of `TEST_DATABASE_URL` (a role that may create databases). */
  url?: string;
}

/** Connects to `TEST_DATABASE_URL`, or starts a cluster (see the module comment). */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const external = options.url ?? (options.durable ? undefined : process.env.TEST_DATABASE_URL);
  const support: PostgresSupport = external ? { available: true } : postgresSupport();
  if (!support.available) throw new Error(support.reason);
  const cluster = external ? undefined : await startCluster(options.durable ?? false);
  const adminUrl = external ?? cluster?.url ?? '';
  const admin = new pg.Pool({ connectionString: adminUrl, max: 2 });
  const created = new Set<string>();

  const dropDatabase = async (name: string): Promise<void> => {
    if (!created.delete(name)) return;
    // FORCE (Postgres 13+) ends a pool a failed test left open, instead of failing the drop.
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };

  return {
    adminUrl,
    local: cluster !== undefined,
    async createDatabase() {
      const name = `t_${randomBytes(6).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      created.add(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return { url: url.toString(), drop: () => dropDatabase(name) };
    },
    async stop() {
      try {
        for (const name of [...created]) await dropDatabase(name);
      } finally {
        await admin.end();
        cluster?.stop();
      }
    },
  };
}

interface Cluster {
  url: string;
  stop(): void;
}

/**
 * initdb + pg_ctl start of a cluster in a temporary folder. The server refuses to run as root, so
 * as root the binaries run as the `postgres` user (who must own the folder). Stopped with
 * `-m immediate`: the data is thrown away, so there is nothing to flush. Also stopped when the
 * process exits without calling `stop()`, so a crashed test run leaves no server behind.
 */
async function startCluster(durable: boolean): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'altegio-bot-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (binary: string, args: string[]): void => {
    const command = join(POSTGRES_BIN, binary);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe' });
    else execFileSync(command, args, { stdio: 'pipe' });
  };
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    process.off('exit', stop);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
    const port = await freePort();
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      // Throw-away data: durability only costs time here.
      ...(durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', 'start']);
    started = true;
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (error) {
    stop();
    throw new Error(`could not start a test Postgres cluster: ${describe(error)}`);
  }
}

/** A loopback port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'stderr' in error) {
    const stderr = String((error as { stderr: unknown }).stderr).trim();
    if (stderr) return stderr;
  }
  return error instanceof Error ? error.message : String(error);
}
