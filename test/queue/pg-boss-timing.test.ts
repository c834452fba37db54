import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { QueueJob } from '../../src/queue/port.js';
import { eventually } from '../helpers/eventually.js';
import { definition, parseTestData, sleep, type TestData, useHosts } from './harness.js';

const { open, url } = useHosts();

describe('due times', () => {
  it('a job due at T does not run before T, and runs after the worker restarted', async () => {
    const def = definition('deadlines');
    const first = await open();
    const q1 = await first.queues.queue(def, parseTestData);
    const ran: number[] = [];
    const handler = async () => {
      ran.push(Date.now());
    };
    await q1.work(handler, { concurrency: 2 });
    const due = Date.now() + 2500;
    await q1.enqueue({ key: 'dialogue:7:menu', data: { n: 1 }, dueAt: due });
    await sleep(800);
    await first.close();
    expect(ran).toEqual([]);

    const second = await open();
    const q2 = await second.queues.queue(def, parseTestData);
    await q2.work(handler, { concurrency: 2 });
    await eventually(async () => expect(await q2.state('dialogue:7:menu')).toBe('done'));
    expect(ran).toHaveLength(1);
    expect(ran[0]).toBeGreaterThanOrEqual(due);
  });

  it('a postponed job waits until the time given and keeps its attempts', async () => {
    const host = await open();
    const queue = await host.queues.queue(
      definition('notify', { retry: { attempts: 2, delaySeconds: 1 } }),
      parseTestData,
    );
    const runs: Array<{ attempt: number; at: number }> = [];
    let until = 0;
    await queue.work(
      async (job) => {
        runs.push({ attempt: job.attempt, at: Date.now() });
        if (runs.length === 1) {
          until = Date.now() + 700;
          return { postpone: { until, reason: 'client is booking' } };
        }
        throw new Error('Altegio is down');
      },
      { concurrency: 1 },
    );
    await queue.enqueue({ key: 'reminder:1:2', data: { n: 1 } });
    await eventually(async () => expect(await queue.state('reminder:1:2')).toBe('failed'));
    // The postponement cost nothing: two real attempts followed it.
    expect(runs.map((run) => run.attempt)).toEqual([1, 1, 2]);
    expect(runs[1]?.at).toBeGreaterThanOrEqual(until);
  });
});

describe('failures', () => {
  it('a failing job is retried with growing waits, then fails for good', async () => {
    const host = await open();
    const queue = await host.queues.queue(
      definition('notify', { retry: { attempts: 3, delaySeconds: 1 } }),
      parseTestData,
    );
    const runs: Array<{ attempt: number; at: number }> = [];
    await queue.work(
      async (job: QueueJob<TestData>) => {
        runs.push({ attempt: job.attempt, at: Date.now() });
        throw new Error('Telegram answers 502');
      },
      { concurrency: 2 },
    );
    await queue.enqueue({ key: 'feedback:1:5', data: { n: 1 } });
    await eventually(async () => expect(await queue.state('feedback:1:5')).toBe('failed'), 30_000);
    expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
    const [a, b, c] = runs.map((run) => run.at);
    // pg-boss waits delay·2^n/2·(1+random) s: 1–2 s, then 2–4 s (less the database's clock grain).
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(900);
    expect((c ?? 0) - (b ?? 0)).toBeGreaterThanOrEqual(1900);
  });

  it('a job the handler gives up on, or retries past its attempts, fails without more runs', async () => {
    const host = await open();
    const queue = await host.queues.queue(
      definition('outbox', { retry: { attempts: 2, delaySeconds: 1 } }),
      parseTestData,
    );
    const runs: string[] = [];
    await queue.work(
      async (job) => {
        runs.push(`${job.key}#${job.attempt}`);
        if (job.key === 'blocked') return { giveUp: 'bot was blocked by the user' };
        return { retry: { at: Date.now() + 300, reason: 'retry after 0.3 s' } };
      },
      { concurrency: 2 },
    );
    await queue.enqueue({ key: 'blocked', data: { n: 1 } });
    await queue.enqueue({ key: 'limited', data: { n: 2 } });
    await eventually(async () => {
      expect(await queue.state('blocked')).toBe('failed');
      expect(await queue.state('limited')).toBe('failed');
    });
    expect(runs.sort()).toEqual(['blocked#1', 'limited#1', 'limited#2']);
  });

  it('a job whose process died mid-run runs again in another process once its run limit passed', async () => {
    const def = definition('crashy', { runLimitSeconds: 2 });
    const survivor = await open({ maintenanceIntervalSeconds: 1 });
    const queue = await survivor.queues.queue(def, parseTestData);
    await queue.enqueue({ key: 'reminder:3:1', data: { n: 1 } });

    const script = fileURLToPath(new URL('./crash-worker.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, url(), 'crashy'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).toContain('taken');
    expect(exitCode).toBe(1);
    expect(await queue.state('reminder:3:1')).toBe('active');

    const attempts: number[] = [];
    await queue.work(
      async (job) => {
        attempts.push(job.attempt);
      },
      { concurrency: 1 },
    );
    await eventually(async () => expect(await queue.state('reminder:3:1')).toBe('done'), 30_000);
    expect(attempts).toEqual([2]);
  });
});
