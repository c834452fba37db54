/** Retries `check` until it stops throwing (or returns true), for effects that happen asynchronously. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  stepMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
      if (Date.now() > deadline) throw new Error('condition still false');
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** Polls `condition` every `stepMs` until it holds; fails once `timeoutMs` has passed without it. */
export async function until(condition: () => boolean, timeoutMs = 5_000, stepMs = 2): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}

/** Resolves once `promise` settled, or says it has not after a few turns of the event loop. */
export async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}
