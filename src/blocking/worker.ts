import { parentPort } from 'node:worker_threads';
import { explain } from './explain.js';
import { runRebuild, type RebuildJob } from './job.js';
import type { Config } from '../config/types.js';

/** A `blocking test` question (re-reads the sources, so it runs here too). */
export interface ExplainJob {
  readonly explain: { readonly config: Config; readonly name: string; readonly view?: string };
}

/**
 * The blocklist compiler thread: one rebuild (or one `blocking test` re-scan) per message, so parsing and sorting a million
 * names never holds up DNS answers. The manager starts it for a rebuild and ends it after, so
 * its heap (the list texts) is returned to the system between refreshes.
 */
parentPort?.on('message', (job: RebuildJob | ExplainJob) => {
  try {
    const result = 'explain' in job ? explain(job.explain.config, job.explain.name, job.explain.view) : runRebuild(job);
    parentPort!.postMessage({ ok: true, result });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
