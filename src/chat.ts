/**
 * `altegio-bot chat`: the engine as `start` runs it, plus the console channel on this terminal, so
 * a newcomer can book in the sandbox salon (or a real one) by typing.
 */
import { type Readable, Writable } from 'node:stream';
import { parseEnv } from './config/env.js';
import { createEngine, type EngineOptions } from './engine.js';
import { createLogger, type Logger } from './log.js';

/** Streams of {@link runChat}; the process's own by default. */
export interface ChatIo {
  input: Readable;
  output: Writable;
  /** Where log lines go, apart from the conversation. */
  errors: Writable;
}

/** The client's name on bookings made from the console, so the salon can tell them apart. */
const CONSOLE_CLIENT_NAME = 'Console client';

/**
 * After the input ends (a piped script, Ctrl-D), replies still in flight are printed before the
 * engine stops: it waits until the output has been quiet this long, but never longer than the cap.
 */
const QUIET_MS = 800;
const SETTLE_CAP_MS = 15_000;

/**
 * Runs the console chat until Ctrl-C, SIGTERM or the end of the input, then stops the engine.
 * Logs go to `errors` at `warn` as short lines unless `LOG_LEVEL` is set (then as JSON at that
 * level), so the conversation stays readable. Answers the exit code.
 */
export async function runChat(
  env: NodeJS.ProcessEnv = process.env,
  io: ChatIo = { input: process.stdin, output: process.stdout, errors: process.stderr },
): Promise<number> {
  const logger = chatLogger(env, io.errors);

  let lastOutputAt = Date.now();
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lastOutputAt = Date.now();
      io.output.write(chunk, (error) => callback(error ?? null));
    },
  });

  let inputEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    inputEnded = resolve;
  });
  let signalled: () => void = () => {};
  const interrupted = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      io.errors.write(`${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    signalled();
  };

  const options: EngineOptions = {
    env,
    logger,
    // Without a name the booking would carry the messenger default ("Telegram client").
    consoleChat: { input: io.input, output, displayName: CONSOLE_CLIENT_NAME, onInputEnd: inputEnded },
  };
  const engine = createEngine(options);
  const info = await engine.start();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    output.write(`${welcome(info.mode)}\n\n`);
    // A signal cuts the wait for late replies short.
    await Promise.race([
      interrupted,
      ended.then(() => Promise.race([settle(() => lastOutputAt), interrupted])),
    ]);
    await engine.stop();
    return 0;
  } catch (error) {
    io.errors.write(`error while stopping: ${String(error)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function welcome(mode: 'sandbox' | 'live'): string {
  return mode === 'sandbox'
    ? 'Console chat with the sandbox salon (a fake Altegio salon, since ALTEGIO_PARTNER_TOKEN is not set). Type /book to book a visit, /cancel to stop, Ctrl-C to quit.'
    : 'Console chat with your salon in Altegio: bookings made here are real. Type /book to book a visit, /cancel to stop, Ctrl-C to quit.';
}

/** Resolves once nothing has been printed for {@link QUIET_MS} (or after {@link SETTLE_CAP_MS}). */
async function settle(lastOutputAt: () => number): Promise<void> {
  const ended = Date.now();
  const deadline = ended + SETTLE_CAP_MS;
  while (Date.now() < deadline) {
    const quietSince = Math.max(ended, lastOutputAt());
    const left = quietSince + QUIET_MS - Date.now();
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, left));
  }
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * With `LOG_LEVEL` set the operator wants details: JSON at that level, as `start` logs. Otherwise
 * only warnings and errors, each as one `level: message` line, between the chat's own lines.
 */
function chatLogger(env: NodeJS.ProcessEnv, errors: Writable): Logger {
  if (env.LOG_LEVEL?.trim()) {
    return createLogger({
      level: parseEnv(env).logLevel,
      destination: { write: (line) => errors.write(line) },
    });
  }
  return createLogger({
    level: 'warn',
    destination: {
      write(line: string) {
        errors.write(`${compactLine(line)}\n`);
      },
    },
  });
}

/** `{"level":40,"msg":"…","err":{…}}` → `warn: …: <error message>`. */
function compactLine(line: string): string {
  try {
    const parsed = JSON.parse(line) as { level?: unknown; msg?: unknown; err?: { message?: unknown } };
    const level = typeof parsed.level === 'number' ? (LEVEL_NAMES[parsed.level] ?? 'log') : 'log';
    const message = typeof parsed.msg === 'string' ? parsed.msg : '';
    const cause = typeof parsed.err?.message === 'string' ? `: ${parsed.err.message}` : '';
    return `${level}: ${message}${cause}`;
  } catch {
    return line.trimEnd();
  }
}
