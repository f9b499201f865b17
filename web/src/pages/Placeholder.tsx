/** A page whose part is not built yet: says so plainly instead of a blank screen. */
import { PageTitle } from '../ui/common';
import { AppNav, type AppTab } from './AppNav';

export function Placeholder({ title, app, tab }: { title: string; app?: string; tab?: AppTab }) {
  return (
    <main id="main">
      {app && tab && <AppNav app={app} current={tab} />}
      <PageTitle title={app ? `${title} · ${app}` : title}>{title}</PageTitle>
      <p class="muted">This page is not in the console yet; the <code>slipway</code> CLI does it today.</p>
    </main>
  );
}
