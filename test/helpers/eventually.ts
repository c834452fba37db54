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
