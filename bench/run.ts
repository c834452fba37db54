/**
 * `npm run bench [-- <name> …args]`: runs the named benchmark, or all of them. Each prints its
 * figures and ends with one `bench <name>: …` line that runs can be compared by.
 */
// Loaded only when run: a benchmark's heap and RSS figures must not include the others' modules.
const BENCHES: Record<string, (args: string[]) => Promise<string>> = {
  burst: async (args) => (await import('./burst.js')).benchBurst(args),
  dialogues: async (args) => (await import('./dialogues.js')).benchDialogues(args),
  reminders: async (args) => (await import('./reminders.js')).benchReminders(args),
  rush: async (args) => (await import('./rush.js')).benchRush(args),
  scale: async (args) => (await import('./scale.js')).benchScale(args),
  tenants: async (args) => (await import('./tenants.js')).benchTenants(args),
};

const [requested, ...args] = process.argv.slice(2);
const names = requested && requested in BENCHES ? [requested] : Object.keys(BENCHES);
for (const name of names) {
  const run = BENCHES[name];
  if (run) console.log(await run(requested === name ? args : []));
}
