import { paths, type AppTabPage } from '../router';

export type AppTab = 'overview' | AppTabPage;

const TABS: [AppTab, string][] = [
  ['overview', 'Overview'],
  ['deploys', 'Deploys'],
  ['logs', 'Logs'],
  ['metrics', 'Metrics'],
  ['config', 'Config vars'],
  ['scale', 'Scaling'],
  ['addons', 'Add-ons'],
  ['domains', 'Domains'],
  ['access', 'Access'],
  ['activity', 'Activity'],
];

export function AppNav({ app, current }: { app: string; current: AppTab }) {
  return (
    <nav class="tabs" aria-label={`${app} pages`}>
      <a href={paths.apps()} class="back">Apps</a>
      <span aria-hidden="true" class="muted">/</span>
      {TABS.map(([tab, label]) => (
        <a key={tab} href={tab === 'overview' ? paths.app(app) : paths.appTab(app, tab)} aria-current={tab === current ? 'page' : undefined}>{label}</a>
      ))}
    </nav>
  );
}
