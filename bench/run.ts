/**
 * `npm run bench [-- <name> …args]`: runs the named benchmark, or all of them. Each prints its
 * figures and ends with one `bench <name>: …` line that runs can be compared by.
 */
import { benchBurst } from './burst.js';
import { benchDialogues } from './dialogues.js';
import { benchReminders } from './reminders.js';
import { benchRush } from './rush.js';

const BENCHES: Record<string, (args: string[]) => Promise<string>> = {
  burst: benchBurst,
  dialogues: benchDialogues,
  reminders: benchReminders,
  rush: benchRush,
};

const [requested, ...args] = process.argv.slice(2);
const names = requested && requested in BENCHES ? [requested] : Object.keys(BENCHES);
for (const name of names) {
  const run = BENCHES[name];
  if (run) console.log(await run(requested === name ? args : []));
}
