import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';

/** A debug logger whose lines are kept, parsed, in `lines`. */
export function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}
