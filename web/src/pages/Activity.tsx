/** The audit feed of everything the user may see, live, narrowed by app, team or user. */
import { useState } from 'preact/hooks';
import type { AuditFilter } from '../api/admin';
import { PageTitle } from '../ui/common';
import { AuditFeed } from './AuditFeed';

function readFilter(): AuditFilter {
  const params = new URLSearchParams(location.search);
  const filter: AuditFilter = {};
  for (const key of ['app', 'team', 'user'] as const) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  return filter;
}

export function Activity() {
  const [filter, setFilter] = useState<AuditFilter>(readFilter);
  const [draft, setDraft] = useState<AuditFilter>(filter);
  const apply = (event: Event) => {
    event.preventDefault();
    const next: AuditFilter = {};
    for (const key of ['app', 'team', 'user'] as const) {
      const value = draft[key]?.trim();
      if (value) next[key] = value;
    }
    setFilter(next);
    const query = new URLSearchParams(next as Record<string, string>).toString();
    history.replaceState(null, '', `${location.pathname}${query ? `?${query}` : ''}`);
  };
  const field = (key: keyof AuditFilter, label: string) => (
    <div>
      <label for={`filter-${key}`}>{label}</label>
      <input id={`filter-${key}`} value={draft[key] ?? ''} autocomplete="off" spellcheck={false}
        onInput={(e) => setDraft((d) => ({ ...d, [key]: e.currentTarget.value }))} />
    </div>
  );
  const narrowed = Object.entries(filter).map(([k, v]) => `${k} ${v}`).join(', ');
  return (
    <main id="main">
      <PageTitle title="Activity">Activity</PageTitle>
      <p class="muted">Every change you may see, and every refused attempt, as it happens (<code>slipway audit -t</code>).</p>
      <form class="filters" onSubmit={apply} aria-label="Filter the activity">
        {field('app', 'App')}
        {field('team', 'Team')}
        {field('user', 'User')}
        <button type="submit">Filter</button>
      </form>
      <AuditFeed filter={filter} label={narrowed ? `Activity of ${narrowed}` : 'All activity'} />
    </main>
  );
}
