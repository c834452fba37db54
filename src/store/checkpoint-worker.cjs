// Checkpoints the store's WAL from a worker thread (see `checkpointer.ts` for why). Plain
// CommonJS so that it runs as is, without the TypeScript loader the main thread uses.
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);

const db = new Database(workerData.path, { fileMustExist: true });
db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
// This connection only copies pages: it must never start a checkpoint of its own on commit.
db.pragma('wal_autocheckpoint = 0');

// The last failure of a periodic run: the same one again is not reported every second.
let lastFailure;

/** Copies what no reader still needs, never waiting for the writer; `id` marks a requested run. */
function checkpoint(id) {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    lastFailure = undefined;
    if (id !== undefined)
      parentPort.postMessage({ id, ok: true, log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    const message = String(error?.message ?? error);
    if (id === undefined && message === lastFailure) return;
    lastFailure = message;
    parentPort.postMessage({ id, ok: false, message });
  }
}

const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'checkpoint') checkpoint(message.id);
  if (message.type === 'stop') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
