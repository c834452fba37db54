// Lays out statecharts off the main thread (see `statechart.ts`): a first layout of the booking
// machine takes about a second of CPU, which must not hold up webhooks and chats meanwhile.
// Plain CommonJS so that it runs as is, without the TypeScript loader the main thread uses.
const { parentPort } = require('node:worker_threads');
const ELK = require('elkjs/lib/elk.bundled.js');

const elk = new ELK();
parentPort.on('message', ({ id, graph }) => {
  elk.layout(graph).then(
    (result) => parentPort.postMessage({ id, result }),
    (error) => parentPort.postMessage({ id, error: String(error?.message ?? error) }),
  );
});
