import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStore, MIGRATIONS_FOLDER, migrateDatabase, openDatabase } from '../../src/store/index.js';
import { useTempDatabases } from './helpers.js';

/** How many migrations `drizzle/` holds, so the counts below survive the next migration. */
const MIGRATION_COUNT = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }
).entries.length;

describe('openDatabase / migrateDatabase', () => {
  const temp = useTempDatabases();

  it('applies every migration to an empty file and reports how many', () => {
    const path = temp.path();
    const opened = openDatabase(path);
    try {
      const applied = migrateDatabase(opened.db);
      expect(MIGRATION_COUNT).toBeGreaterThanOrEqual(1);
      expect(applied).toBe(MIGRATION_COUNT);
      const tables = opened.sqlite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      expect(tables).toEqual(
        expect.arrayContaining([
          'conversations',
          'deliveries',
          'dialogues',
          'inbound_events',
          'jobs',
          'outbox',
          'records',
          'tasks',
          'timers',
        ]),
      );
    } finally {
      opened.close();
    }
  });

  it('is a no-op on an already migrated file, and the data survives', () => {
    const path = temp.path();
    const first = createStore(path);
    expect(first.migrationsApplied).toBe(MIGRATION_COUNT);
    first.sync.tasks.create({
      kind: 'poor-rating',
      title: 'Call back',
      recordId: 7,
      companyId: 1,
      rating: 2,
    });
    first.close();

    const second = createStore(path);
    try {
      expect(second.migrationsApplied).toBe(0);
      expect(migrateDatabase(second.db)).toBe(0);
      expect(second.sync.tasks.list().map((task) => task.title)).toEqual(['Call back']);
    } finally {
      second.close();
    }
  });

  it('turns on WAL, NORMAL sync, foreign keys and a busy timeout', () => {
    const store = temp.open();
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('creates missing parent folders', () => {
    const path = join(temp.dir(), 'nested', 'deeper', 'bot.sqlite');
    const store = createStore(path);
    store.close();
    expect(existsSync(path)).toBe(true);
  });

  it('works in memory', () => {
    const store = createStore(':memory:');
    try {
      expect(store.migrationsApplied).toBe(MIGRATION_COUNT);
      expect(store.sync.inbound.recordIfNew('altegio', '1')).toBe(true);
    } finally {
      store.close();
    }
  });

  it('finds the migrations from its own location, not the working directory', () => {
    expect(existsSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'))).toBe(true);
    const before = process.cwd();
    process.chdir(temp.dir());
    try {
      const store = createStore(':memory:');
      expect(store.migrationsApplied).toBe(MIGRATION_COUNT);
      store.close();
    } finally {
      process.chdir(before);
    }
  });

  it('closes twice without throwing', () => {
    const store = createStore(':memory:');
    store.close();
    expect(() => store.close()).not.toThrow();
  });
});
