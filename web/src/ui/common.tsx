/** Small pieces every page uses. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { messageOf } from '../api/client';

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return <p class="error" role="alert">{messageOf(error)}</p>;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted" role="status">Loading {what}…</p>;
}

/** The page's heading, focused when the page changes so keyboard and screen-reader users start there. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Slipway`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return <h1 ref={ref} tabIndex={-1}>{children}</h1>;
}

export function Time({ iso }: { iso: string | null }) {
  if (!iso) return <span class="muted">–</span>;
  const date = new Date(iso);
  return <time dateTime={iso} title={date.toLocaleString()}>{ago(date)}</time>;
}

export function ago(date: Date, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - date.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return date.toLocaleDateString();
}

export function Badge({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'plain'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** Up (running) out of the instances there are. */
export function upCount(instances: readonly { state: string }[]): { up: number; total: number } {
  return { up: instances.filter((i) => i.state === 'running').length, total: instances.length };
}
