import { afterAll, describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { bookingMachine } from '../../machines/booking/index.js';
import { reminderMachine } from '../../machines/reminder/index.js';
import { activeStates, eventLabel, statechartSvg, stopLayoutWorker } from '../../src/console/statechart.js';

/** Every state id of a machine, read from its definition. */
function stateIds(machine: AnyStateMachine): string[] {
  const ids: string[] = [];
  const walk = (node: { id: string; states: Record<string, unknown> }) => {
    ids.push(node.id);
    for (const child of Object.values(node.states)) walk(child as typeof node);
  };
  walk(machine.root as unknown as { id: string; states: Record<string, unknown> });
  return ids;
}

describe('statechart drawn from the machine definition', () => {
  afterAll(() => stopLayoutWorker());

  it('has a box for every state of the machine and highlights the current one with its parents', async () => {
    const svg = await statechartSvg(reminderMachine, 'menu.waiting', 'reminder');
    for (const id of stateIds(reminderMachine)) expect(svg, id).toContain(`data-state="${id}"`);
    const active = [...svg.matchAll(/<g class="[^"]*\bactive\b[^"]*" data-state="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(active.sort()).toEqual(['reminder.menu', 'reminder.menu.waiting']);
    expect(svg).toContain('after menuTtl');
  });

  it('draws the booking machine too, every transition as a path', async () => {
    const svg = await statechartSvg(bookingMachine, null, 'booking');
    for (const id of stateIds(bookingMachine)) expect(svg, id).toContain(`data-state="${id}"`);
    expect(svg.match(/<path class="transition"/g)?.length ?? 0).toBeGreaterThan(10);
    expect(svg).not.toContain('NaN');
  });

  it('names events as people read them', () => {
    expect(eventLabel('xstate.after.menuTtl.reminder.menu')).toBe('after menuTtl');
    expect(eventLabel('xstate.done.actor.0.reminder.confirming')).toBe('done');
    expect(eventLabel('user.choice')).toBe('user.choice');
    expect([...activeStates('feedback', 'a.b, c')].sort()).toEqual([
      'feedback.a',
      'feedback.a.b',
      'feedback.c',
    ]);
  });
});
