/**
 * How many processes (and threads: the kernel counts both) one container may hold, by its size.
 * Without a limit a fork bomb in one app takes the whole host: every PID, then every process
 * slot of the machine. Heroku's numbers are the model: 256 for a 512 MB dyno, 512 for 1 GB,
 * growing with memory (one process slot per 2 MB), at least 256 (a runtime's own threads and a
 * few workers fit) and at most 32768 (Heroku's largest dyno).
 */
export const MIN_PIDS = 256;
export const MAX_PIDS = 32_768;

/** The PID limit of a container of this much memory (docs/run.md "Limits"). */
export function pidsLimitFor(memoryMb: number): number {
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) return MIN_PIDS;
  return Math.min(MAX_PIDS, Math.max(MIN_PIDS, Math.floor(memoryMb / 2)));
}
