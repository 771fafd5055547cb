/** Exit codes after SIGINT / SIGTERM: 128 + the signal number, as a shell reports them. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Until the returned function is called, SIGINT or SIGTERM runs `cleanup` (synchronously) and
 * exits with 130 or 143: for work that must not leave a half-written file or an orphan child.
 */
export function onTerminationSignal(cleanup: (signal: keyof typeof SIGNAL_EXIT_CODES) => void): () => void {
  const handler = (signal: keyof typeof SIGNAL_EXIT_CODES) => {
    cleanup(signal);
    process.exit(SIGNAL_EXIT_CODES[signal]);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
