/** The audit feed of one app, live (who changed what, refusals too). */
import { PageTitle } from '../ui/common';
import { AppNav } from './AppNav';
import { AuditFeed } from './AuditFeed';

export function AppActivity({ app }: { app: string }) {
  return (
    <main id="main">
      <AppNav app={app} current="activity" />
      <PageTitle title={`Activity · ${app}`}>Activity</PageTitle>
      <p class="muted">Every change to {app} and every refused attempt, as it happens (<code>slipway audit --app {app} -t</code>).</p>
      <AuditFeed filter={{ app }} label={`Changes to ${app}`} />
    </main>
  );
}
