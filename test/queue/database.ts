/**
 * A fresh database per queue test: on `TEST_DATABASE_URL` (a role that may create databases) or,
 * without it, on a throw-away cluster this test file's process starts from Debian's Postgres 15.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const BIN = '/usr/lib/postgresql/15/bin';
let clusterUrl: string | undefined;
let stopCluster: (() => void) | undefined;

/** initdb + pg_ctl in a temporary folder (as the `postgres` user when run as root), stopped at exit. */
function startCluster(): string {
  const dir = mkdtempSync(join(tmpdir(), 'queue-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const run = (binary: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, binary), ...args], { stdio: 'pipe' })
      : execFileSync(join(BIN, binary), args, { stdio: 'pipe' });
  const data = join(dir, 'data');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync']);
  run('pg_ctl', [
    '-D',
    data,
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    '-l',
    join(dir, 'log'),
    '-w',
    'start',
  ]);
  stopCluster = () => {
    stopCluster = undefined;
    clusterUrl = undefined;
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
    } catch {
      // Already stopped.
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Stops the cluster this process started, if any (a test file's `afterAll`). */
export function stopTestPostgres(): void {
  stopCluster?.();
}

export async function createTestDatabase(): Promise<TestDatabase> {
  clusterUrl ??= process.env.TEST_DATABASE_URL || startCluster();
  const adminUrl = clusterUrl;
  const name = `q_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}
