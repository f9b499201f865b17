/** Who may act on an app: its team's members by role, and collaborators with the permissions chosen for them. */
import { useState } from 'preact/hooks';
import { admin, type AccessEntry } from '../api/admin';
import { useResource } from '../resource';
import { can, missingNote, PERMISSIONS, useAppPermissions } from '../permissions';
import { PermissionBoxes, usePermissionChoice } from '../ui/permission-boxes';
import { useAction } from '../ui/action';
import { Badge, ErrorNote, Loading, PageTitle } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/admin.css';


function AddCollaborator({ app, onAdded }: { app: string; onAdded: (message: string) => void }) {
  const [user, setUser] = useState('');
  const { chosen, toggle } = usePermissionChoice(['view']);
  const { busy, error, setError, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (chosen.size === 0) { setError(new Error('Choose at least one permission.')); return; }
    await run(async () => {
      const entry = await admin.access.add(app, user.trim(), PERMISSIONS.filter((p) => chosen.has(p)));
      setUser('');
      onAdded(`${entry.user} may now ${entry.permissions.join(', ')} on ${app}.`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="add-collaborator">
      <h2 id="add-collaborator">Add a collaborator</h2>
      <p class="muted small">A user outside the team, with permissions on this app alone.</p>
      <div class="fields">
        <div><label for="collaborator">User name</label>
          <input id="collaborator" required autocomplete="off" spellcheck={false} value={user} onInput={(e) => setUser(e.currentTarget.value)} /></div>
        <PermissionBoxes legend="Permissions" chosen={chosen} toggle={toggle} />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Adding…' : 'Add collaborator'}</button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function RemoveCollaborator({ app, entry, onRemoved }: { app: string; entry: AccessEntry; onRemoved: (message: string) => void }) {
  const { busy, error, run } = useAction();
  const remove = () => run(async () => {
    await admin.access.remove(app, entry.user);
    onRemoved(`${entry.user} is no longer a collaborator on ${app}.`);
  });
  return (
    <>
      <button type="button" class="danger" disabled={busy} onClick={remove} aria-label={`Remove collaborator ${entry.user}`}>Remove</button>
      <ErrorNote error={error} />
    </>
  );
}

export function Access({ app }: { app: string }) {
  const info = useAppPermissions(app);
  const access = useResource(() => admin.access.get(app), `access:${app}`, (c) => c.app === app);
  const [notice, setNotice] = useState<string | null>(null);
  const manages = can(info.data, 'manage');
  const changed = (message: string) => { setNotice(message); access.reload(); };
  const entries = access.data?.entries ?? [];
  return (
    <main id="main">
      <AppNav app={app} current="access" />
      <PageTitle title={`Access · ${app}`}>Access</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={access.error} />
      {!access.data && !access.error && <Loading what="who has access" />}
      {access.data && (
        <>
          <p>{app} belongs to team <a href={`/teams/${encodeURIComponent(access.data.team)}`}>{access.data.team}</a>.
            {info.data?.permissions && <> You may <strong>{info.data.permissions.join(', ')}</strong>.</>}</p>
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Users with access to {app}</caption>
              <thead><tr><th scope="col">User</th><th scope="col">Through</th><th scope="col">Permissions</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={`${entry.via}:${entry.user}`}>
                    <th scope="row">{entry.user}</th>
                    <td>{entry.via === 'team' ? <>team {entry.role}</> : 'collaborator'}</td>
                    <td><span class="perm-list">{entry.permissions.map((p) => <Badge key={p} tone={p === 'manage' ? 'warn' : 'plain'}>{p}</Badge>)}</span></td>
                    <td>{entry.via === 'collaborator' && manages && <RemoveCollaborator app={app} entry={entry} onRemoved={changed} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {entries.length === 0 && <p class="muted">Nobody but platform admins.</p>}
          {manages ? <AddCollaborator app={app} onAdded={changed} /> : info.data && <p class="muted">{missingNote(app, 'manage')}</p>}
          <p class="muted small">Team members get their permissions from their role: change them on the <a href={`/teams/${encodeURIComponent(access.data.team)}`}>team's page</a>.</p>
        </>
      )}
    </main>
  );
}
