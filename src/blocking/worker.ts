import { parentPort } from 'node:worker_threads';
import { runRebuild, type RebuildJob } from './job.js';

/**
 * The blocklist compiler thread: one rebuild per message, so parsing and sorting a million
 * names never holds up DNS answers. The manager starts it for a rebuild and ends it after, so
 * its heap (the list texts) is returned to the system between refreshes.
 */
parentPort?.on('message', (job: RebuildJob) => {
  try {
    parentPort!.postMessage({ ok: true, result: runRebuild(job) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
