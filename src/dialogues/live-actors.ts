import type { AnyActorRef } from 'xstate';

/** Options of {@link createLiveActors}. */
export interface LiveActorsOptions {
  /** Most actors kept; beyond it the one idle longest leaves memory. */
  capacity: number;
  /** An actor without a step for this long leaves memory; its next message hydrates it again. */
  idleMs: number;
}

/**
 * Started actors of the dialogues talking right now, between their steps. A client tapping
 * through a booking sends a message every few seconds: hydrating the actor from its snapshot for
 * each one costs more than the step itself. The store stays the truth: an actor is kept only
 * after its step committed, and is exactly the saved snapshot; a step takes it out while it runs,
 * so a step that fails (or whose commit fails) leaves nothing behind. Idle actors leave memory.
 */
export interface LiveActors {
  /**
   * Takes the dialogue's actor out of the cache, if it is there and is the stored `version` of
   * the dialogue; the step now owns it. One of another version (another process committed a
   * step of the dialogue since) is stopped instead: the step hydrates the stored snapshot.
   */
  take(dialogueId: number, version: number): AnyActorRef | undefined;
  /** Keeps a dialogue's actor after a committed step, which left the dialogue at `version`. */
  keep(dialogueId: number, actor: AnyActorRef, version: number): void;
  /** Stops and forgets the dialogue's actor (the dialogue ended). */
  drop(dialogueId: number): void;
  /** How many are kept. */
  readonly size: number;
}

export function createLiveActors(options: LiveActorsOptions): LiveActors {
  // Map order is the order of `keep`: the first entry is the one idle longest.
  const actors = new Map<number, { actor: AnyActorRef; version: number; keptAt: number }>();
  let sweep: NodeJS.Timeout | undefined;

  function evict(dialogueId: number): void {
    actors.get(dialogueId)?.actor.stop();
    actors.delete(dialogueId);
  }

  function evictIdle(): void {
    const oldest = performance.now() - options.idleMs;
    for (const [dialogueId, kept] of actors) {
      if (kept.keptAt > oldest) break;
      evict(dialogueId);
    }
    if (actors.size === 0 && sweep) {
      clearInterval(sweep);
      sweep = undefined;
    }
  }

  return {
    take(dialogueId, version) {
      const kept = actors.get(dialogueId);
      actors.delete(dialogueId);
      if (kept && kept.version !== version) {
        kept.actor.stop();
        return undefined;
      }
      return kept?.actor;
    },
    keep(dialogueId, actor, version) {
      const previous = actors.get(dialogueId)?.actor;
      if (previous && previous !== actor) previous.stop();
      actors.delete(dialogueId);
      actors.set(dialogueId, { actor, version, keptAt: performance.now() });
      for (const [oldest] of actors) {
        if (actors.size <= options.capacity) break;
        evict(oldest);
      }
      // Wall time, not the engine's clock: this is memory housekeeping, not a deadline. Unref'd,
      // so it never keeps the process alive.
      sweep ??= setInterval(evictIdle, Math.max(1, options.idleMs / 2)).unref();
    },
    drop: evict,
    get size() {
      return actors.size;
    },
  };
}
