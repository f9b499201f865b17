/** What every form and button of the console does with its request: busy while it runs, its failure kept to show. */
import { useCallback, useState } from 'preact/hooks';

export interface Action {
  busy: boolean;
  error: unknown;
  setError(error: unknown): void;
  /** Runs the request, then `then` if it succeeded; a failure is kept in `error` (shown by ErrorNote), never thrown on. */
  run(request: () => Promise<unknown>, then?: () => void): Promise<void>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (request: () => Promise<unknown>, then?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await request();
      then?.();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
