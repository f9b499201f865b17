/** The teams the user belongs to (platform admins: all), and a form to create one. */
import { useState } from 'preact/hooks';
import { admin, type TeamView } from '../api/admin';
import { useResource } from '../resource';
import { navigate, paths } from '../router';
import { Badge, ErrorNote, Loading, PageTitle, Time } from '../ui/common';
import { useAction } from '../ui/action';
import '../styles/admin.css';

function CreateTeam({ onCreated }: { onCreated: (team: TeamView) => void }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      onCreated(await admin.teams.create(name.trim()));
      setName('');
    });
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <label for="new-team">New team</label>
      <input id="new-team" placeholder="acme" required maxLength={64} value={name} autocomplete="off" spellcheck={false}
        onInput={(e) => setName(e.currentTarget.value)} />
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create team'}</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function Teams() {
  const teams = useResource(() => admin.teams.list(), 'teams', () => false);
  return (
    <main id="main">
      <div class="page-head">
        <PageTitle title="Teams">Teams</PageTitle>
        <CreateTeam onCreated={(team) => navigate(paths.team(team.name))} />
      </div>
      <ErrorNote error={teams.error} />
      {!teams.data && !teams.error && <Loading what="teams" />}
      {teams.data && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Your teams</caption>
            <thead><tr><th scope="col">Team</th><th scope="col">Your role</th><th scope="col">Members may</th><th scope="col">Created</th></tr></thead>
            <tbody>
              {teams.data.map((team) => (
                <tr key={team.name}>
                  <th scope="row"><a href={paths.team(team.name)}>{team.name}</a>{team.personal && <> <Badge tone="plain">personal</Badge></>}</th>
                  <td>{team.role ?? <span class="muted">not a member (platform admin)</span>}</td>
                  <td>{team.memberPermissions.join(', ')}</td>
                  <td><Time iso={team.createdAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted small">A team owns apps; its admins have every permission on them, members what the team gives them, viewers only view. New apps go to your personal team unless you name another (<code>slipway apps:create NAME --team T</code>).</p>
    </main>
  );
}
