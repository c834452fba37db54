import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/store/checkpointer.js';
import { useTempDatabases } from './helpers.js';

const walBytes = (path: string) => statSync(`${path}-wal`).size;

describe('WAL checkpointer', () => {
  const temp = useTempDatabases();

  it('copies committed pages into the database file from its worker, not the writer', async () => {
    const path = temp.path();
    const store = temp.open();
    const checkpointer = startCheckpointer(store.sqlite, { intervalMs: 60_000 });
    try {
      // The main connection no longer checkpoints at 1,000 pages by itself.
      expect(store.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(10_000);
      const conversation = store.sync.conversations.upsert('telegram', '1');
      const snapshot = { context: { text: 'x'.repeat(3000) } };
      for (let i = 0; i < 200; i++) {
        await store.transaction(async () => {
          const dialogue = store.sync.dialogues.create({
            conversationId: conversation.id,
            machineId: 'booking',
            machineVersion: 1,
            snapshot,
            status: 'done',
          });
          store.sync.dialogues.save(dialogue.id, snapshot, 'done');
        });
      }
      const result = await checkpointer.checkpoint();
      expect(result.log).toBeGreaterThan(100);
      expect(result.checkpointed).toBe(result.log);
      // The WAL was fully copied, so the next commit starts it over instead of growing it.
      const before = walBytes(path);
      store.sync.conversations.upsert('telegram', '2');
      expect(walBytes(path)).toBeLessThanOrEqual(before);
      expect(store.sync.dialogues.list({ limit: 500 })).toHaveLength(200);
    } finally {
      await checkpointer.stop();
    }
    // Stopped: the connection checkpoints by itself again.
    expect(store.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await expect(checkpointer.checkpoint()).rejects.toThrow(/stopped/);
  });

  it('reports a worker that cannot open the database and leaves checkpoints to the connection', async () => {
    const store = temp.open();
    const problems: string[] = [];
    const broken = Object.create(store.sqlite, { name: { value: `${temp.dir()}/missing.sqlite` } });
    const checkpointer = startCheckpointer(broken, { onProblem: (problem) => problems.push(problem) });
    await checkpointer.stop();
    await expect.poll(() => problems.join('\n')).toMatch(/worker/);
    expect(store.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
