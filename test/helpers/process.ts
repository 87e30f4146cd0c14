import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Ends a child process this test started and waits until it has exited (it may still be writing
 * into its directory until then): SIGTERM, then SIGKILL if it is still there after `graceMs`.
 */
export async function stopChild(proc: ChildProcess, graceMs = 5_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
