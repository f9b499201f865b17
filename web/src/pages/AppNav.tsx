import { paths } from '../router';

export type AppTab = 'overview' | 'config' | 'scale';

export function AppNav({ app, current }: { app: string; current: AppTab }) {
  const tabs: [AppTab, string, string][] = [
    ['overview', 'Overview', paths.app(app)],
    ['config', 'Config vars', paths.config(app)],
    ['scale', 'Scaling', paths.scale(app)],
  ];
  return (
    <nav class="tabs" aria-label={`${app} pages`}>
      <a href={paths.apps()} class="back">Apps</a>
      <span aria-hidden="true" class="muted">/</span>
      {tabs.map(([tab, label, href]) => (
        <a key={tab} href={href} aria-current={tab === current ? 'page' : undefined}>{label}</a>
      ))}
    </nav>
  );
}
