/** What the scale benchmark and its worker processes say to each other (`scale.ts`, `scale-worker.ts`). */
import { z } from 'zod';

/** A worker's task, passed as its one JSON argument. */
export const WorkerOptions = z.object({
  /** A SQLite file path, or a `postgres://` URL. */
  database: z.string(),
  /** This process's clients are `first`, `first + 1`, … `first + users - 1`. */
  first: z.number().int().nonnegative(),
  users: z.number().int().positive(),
  concurrency: z.number().int().positive(),
});
export type WorkerOptions = z.infer<typeof WorkerOptions>;

/** What a worker prints when done. */
export const WorkerResult = z.object({
  messages: z.number(),
  /** Wall clock (epoch ms) of its first and last message, so the parent spans all workers. */
  startedAt: z.number(),
  endedAt: z.number(),
  /** This process's CPU time per message, µs. */
  cpuUs: z.number(),
  p99: z.number(),
});
export type WorkerResult = z.infer<typeof WorkerResult>;
