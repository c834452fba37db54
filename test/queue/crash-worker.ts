/**
 * A worker process that dies mid-job: it takes one job of the queue named in argv and exits
 * without finishing it, as a crashed or killed engine would.
 */
import { definition, openHost, parseTestData } from './harness.js';

const [url, queueName] = process.argv.slice(2);
if (!url || !queueName) throw new Error('usage: crash-worker <database url> <queue>');
const host = await openHost(url);
const queue = await host.queues.queue(definition(queueName, { runLimitSeconds: 2 }), parseTestData);
await queue.work(
  async () => {
    process.stdout.write('taken\n');
    process.exit(1);
  },
  { concurrency: 1 },
);
