/**
 * The figures `/health` answers and `/metrics` exports, gathered in one place so both say the
 * same: the database and its queues, each channel, the Altegio call budget. Only counts, times
 * and states: no phone number, chat id or name.
 *
 * @module
 */
import { ALTEGIO_LIMITS, type CallPriority, type LimiterStats } from '../altegio/rate-limiter.js';
import type { ChannelAdapter, ChannelHealth } from '../channels/channel.js';
import type { ChatChannel } from '../domain/channels.js';
import type { DatabaseFigures, QueuesFigures } from '../store/diagnostics.js';

/** One window of the budget: calls counted in it now, what the budget lets in, what Altegio allows. */
export interface BudgetWindowFigures {
  used: number;
  /** What this budget lets in (the published limit less its safety margin). */
  budget: number;
  /** Altegio's published limit (developer.alteg.io, "Limits": 5 per second, 200 per minute). */
  limit: number;
}

export interface BudgetFigures {
  /** `postgres`: shared by every process behind one egress IP (figures as of this process's last read); `memory`: this process alone. */
  ledger: 'memory' | 'postgres';
  perSecond: BudgetWindowFigures;
  perMinute: BudgetWindowFigures;
  inFlight: number;
  /** Calls waiting for the budget, by priority. */
  waiting: Record<CallPriority, number>;
  /** 429s Altegio answered since the start; each paused every call. */
  rateLimited: number;
  /** Until when a 429 stops every call (ISO time), or null. */
  pausedUntil: string | null;
}

/** Which window of the budget a limit is: Altegio publishes one per second and one per minute. */
function windowOf(windowMs: number): 'perSecond' | 'perMinute' {
  return windowMs < 10_000 ? 'perSecond' : 'perMinute';
}

export function budgetFigures(stats: LimiterStats, now: number): BudgetFigures {
  const published = { perSecond: ALTEGIO_LIMITS[0]?.max ?? 5, perMinute: ALTEGIO_LIMITS[1]?.max ?? 200 };
  const windows: Record<'perSecond' | 'perMinute', BudgetWindowFigures> = {
    perSecond: { used: 0, budget: published.perSecond, limit: published.perSecond },
    perMinute: { used: 0, budget: published.perMinute, limit: published.perMinute },
  };
  stats.limits.forEach((limit, index) => {
    const which = windowOf(limit.windowMs);
    windows[which] = { ...windows[which], used: stats.used[index] ?? 0, budget: limit.max };
  });
  return {
    ledger: stats.ledger,
    ...windows,
    inFlight: stats.inFlight,
    waiting: { ...stats.pending },
    rateLimited: stats.rateLimited,
    pausedUntil: stats.pausedUntil > now ? new Date(stats.pausedUntil).toISOString() : null,
  };
}

/** Each configured channel's own account of itself. */
export function channelStates(
  channels: Partial<Record<ChatChannel, ChannelAdapter>> | undefined,
): Partial<Record<ChatChannel, ChannelHealth>> {
  const states: Partial<Record<ChatChannel, ChannelHealth>> = {};
  for (const [name, channel] of Object.entries(channels ?? {}) as Array<[ChatChannel, ChannelAdapter]>) {
    states[name] = channel.health?.() ?? { status: channel.isRunning() ? 'ok' : 'stopped' };
  }
  return states;
}

/** The overall status and, when it is not `ok`, which part and why. */
export interface Verdict {
  status: 'ok' | 'degraded' | 'down';
  problems: string[];
}

/**
 * `down` when the database does not answer (nothing can be stored, so nothing works); `degraded`
 * when a channel cannot do its job fully or a queue has had due work waiting longer than
 * `stuckAfterSeconds` (its worker is stuck or gone).
 */
export function verdictOf(
  database: DatabaseFigures | undefined,
  channels: Partial<Record<ChatChannel, ChannelHealth>>,
  stuckAfterSeconds: number,
): Verdict {
  const problems: string[] = [];
  let status: Verdict['status'] = 'ok';
  if (database?.status === 'down') {
    status = 'down';
    problems.push(`database: ${database.dialect} unreachable (${database.error})`);
  }
  for (const [name, state] of Object.entries(channels)) {
    if (state.status !== 'degraded') continue;
    if (status === 'ok') status = 'degraded';
    problems.push(`channel ${name}: ${state.reason ?? 'degraded'}`);
  }
  if (database?.status === 'ok') {
    for (const [queue, figures] of Object.entries(database.queues) as Array<
      [keyof QueuesFigures, QueuesFigures[keyof QueuesFigures]]
    >) {
      const age = figures.oldestOverdueSeconds;
      if (age === null || age < stuckAfterSeconds) continue;
      if (status === 'ok') status = 'degraded';
      problems.push(`queue ${queue}: ${figures.overdue} due item(s) waiting, the oldest for ${age} s`);
    }
    if (!database.migrations.upToDate) {
      if (status === 'ok') status = 'degraded';
      problems.push(
        `database: ${database.migrations.applied} of ${database.migrations.known} migrations applied`,
      );
    }
  }
  return { status, problems };
}
