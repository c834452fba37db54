/**
 * The engine as a child process for crash tests, like `altegio-bot start` but with its clock set
 * `TEST_CLOCK_OFFSET_MS` ahead of the machine's: a reminder due in an hour is due now, so a test
 * waits for what the engine does, not for the wall clock.
 */
import { createEngine } from '../../src/index.js';

const offset = Number(process.env.TEST_CLOCK_OFFSET_MS ?? '0');
if (!Number.isFinite(offset)) throw new Error(`TEST_CLOCK_OFFSET_MS is not a number: ${offset}`);
const engine = createEngine({ env: process.env, clock: { now: () => Date.now() + offset } });
await engine.start();
process.on('SIGTERM', () => {
  void engine.stop().then(() => process.exit(0));
});
