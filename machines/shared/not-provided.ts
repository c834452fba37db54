/**
 * The body of a placeholder actor. Machines declare their I/O actors with it; the runtime (and
 * tests) provide real ones with `.provide()`, so running an unprovided machine fails loudly.
 */
export function notProvided(machine: string, actor: string): () => Promise<never> {
  return () => Promise.reject(new Error(`${machine} actor "${actor}" not provided`));
}
