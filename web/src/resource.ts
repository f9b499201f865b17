/** Data a page shows, loaded by plain requests and reloaded when the live stream says it changed. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { live, type Change } from './live';

export interface Resource<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/**
 * A change is shown at once; the rest of a burst (a deploy routes several instances) within this
 * window causes one more reload at its end, not one each.
 */
const COALESCE_MS = 300;

export function useResource<T>(load: () => Promise<T>, key: string, affectedBy: (change: Change) => boolean): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const affectedRef = useRef(affectedBy);
  affectedRef.current = affectedBy;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => { if (mine === generation.current) setState({ data, error: null, loading: false }); },
      (error: unknown) => { if (mine === generation.current) setState((s) => ({ data: s.data, error, loading: false })); },
    );
  }, []);

  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    reload();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let lastReload = 0;
    const reloadNow = () => { lastReload = performance.now(); reload(); };
    const off = live.onChange((change) => {
      if (change !== 'resync' && !affectedRef.current(change)) return;
      if (timer !== null) return;
      const wait = lastReload + COALESCE_MS - performance.now();
      if (wait <= 0) reloadNow();
      else timer = setTimeout(() => { timer = null; reloadNow(); }, wait);
    });
    return () => { off(); if (timer) clearTimeout(timer); generation.current++; };
  }, [key, reload]);

  return { ...state, reload };
}
