import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import {
  entryKey,
  namesDiff,
  PERSISTED_MACHINES,
  type PersistedNames,
  persistedNames,
} from './persisted-names.js';

/**
 * The names each machine version had when it was released. A snapshot or stored timer of that
 * version names them, so a version keeps them all; renaming or removing one needs a version bump
 * (and a new entry in the JSON, from `persistedNames`). Old entries stay: they document what the
 * runtime politely ends.
 */
const RECORDED = JSON.parse(
  readFileSync(new URL('./persisted-names.json', import.meta.url), 'utf8'),
) as Record<string, PersistedNames>;

describe('persisted names', () => {
  for (const { machine, version } of PERSISTED_MACHINES) {
    const key = entryKey(machine, version);

    it(`${key} keeps every name its snapshots and timers may hold`, () => {
      const recorded = RECORDED[key];
      if (!recorded) return expect.fail(`${key} is not in persisted-names.json: record its names`);
      const { missing, added } = namesDiff(recorded, persistedNames(machine));
      expect(missing, `names gone from ${key}: bump its version and record the new one`).toEqual([]);
      // A new name breaks no stored dialogue, but is recorded so that a later rename is noticed.
      expect(added, `names of ${key} not in persisted-names.json: record them`).toEqual([]);
    });
  }

  it('a renamed state or delay counts as missing', () => {
    const before = persistedNames(
      createMachine({ id: 'm', initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } }),
    );
    const after = persistedNames(
      createMachine({ id: 'm', initial: 'a', states: { a: { after: { 2000: 'c' } }, c: {} } }),
    );
    expect(namesDiff(before, after)).toEqual({
      missing: ['m.b', 'xstate.after.1000.m.a'],
      added: ['m.c', 'xstate.after.2000.m.a'],
    });
  });
});
