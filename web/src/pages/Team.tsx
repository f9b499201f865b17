/**
 * One team: its members with their roles, and what members may do on its apps; team admins (and
 * platform admins) add, change and remove members and set the members' permissions.
 */
import { useState } from 'preact/hooks';
import { admin, type MemberView, type TeamRole, type TeamView } from '../api/admin';
import { PERMISSIONS } from '../permissions';
import { PermissionBoxes, usePermissionChoice } from '../ui/permission-boxes';
import { api } from '../api/client';
import { useResource } from '../resource';
import { paths } from '../router';
import { ErrorNote, Loading, PageTitle } from '../ui/common';
import { useAction } from '../ui/action';
import '../styles/admin.css';

const ROLES: readonly TeamRole[] = ['admin', 'member', 'viewer'];

function AddMember({ team, onAdded }: { team: string; onAdded: (message: string) => void }) {
  const [user, setUser] = useState('');
  const [role, setRole] = useState<TeamRole>('member');
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const member = await admin.teams.addMember(team, user.trim(), role);
      setUser('');
      onAdded(`${member.user} joined ${team} as ${member.role}.`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="add-member">
      <h2 id="add-member">Add a member</h2>
      <div class="fields">
        <div><label for="member-name">User name</label>
          <input id="member-name" required autocomplete="off" spellcheck={false} value={user} onInput={(e) => setUser(e.currentTarget.value)} /></div>
        <div><label for="member-role">Role</label>
          <select id="member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as TeamRole)}>
            {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Adding…' : 'Add member'}</button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

/** What the team's members may do on each of its apps (team admins): view always, the rest chosen. */
function MemberPermissions({ team, onSaved }: { team: TeamView; onSaved: (message: string) => void }) {
  const { chosen, toggle } = usePermissionChoice(team.memberPermissions);
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const saved = await admin.teams.setMemberPermissions(team.name, PERMISSIONS.filter((p) => p === 'view' || chosen.has(p)));
      onSaved(`Members of ${saved.name} may now ${saved.memberPermissions.join(', ')} on its apps.`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="member-permissions">
      <h2 id="member-permissions">What members may do</h2>
      <p class="muted small">On every app of {team.name}, for everyone with the member role, at once. Admins may do everything; viewers only view.</p>
      <div class="fields">
        <PermissionBoxes legend="Member permissions" chosen={chosen} toggle={toggle} fixed={['view']} />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Saving…' : 'Save member permissions'}</button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function MemberRow({ team, member, manages, onChanged }: { team: string; member: MemberView; manages: boolean; onChanged: (message: string) => void }) {
  const { busy, error, run } = useAction();
  const act = async (work: () => Promise<string>) => {
    await run(async () => {
      onChanged(await work());
    });
  };
  const id = `role-${member.user}`;
  return (
    <tr>
      <th scope="row">{member.user}</th>
      <td>
        {manages ? (
          <>
            <label class="visually-hidden" for={id}>Role of {member.user}</label>
            <select id={id} value={member.role} disabled={busy}
              onChange={(e) => { const role = e.currentTarget.value as TeamRole; void act(async () => { await admin.teams.setMember(team, member.user, role); return `${member.user} is now ${role} of ${team}.`; }); }}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </>
        ) : member.role}
        <ErrorNote error={error} />
      </td>
      <td>{manages && (
        <button type="button" class="danger" disabled={busy} aria-label={`Remove ${member.user} from ${team}`}
          onClick={() => void act(async () => { await admin.teams.removeMember(team, member.user); return `${member.user} left ${team}.`; })}>Remove</button>
      )}</td>
    </tr>
  );
}

export function Team({ team }: { team: string }) {
  const members = useResource(() => admin.teams.members(team), `members:${team}`, () => false);
  const teams = useResource(() => admin.teams.list(), 'teams', () => false);
  const session = useResource(() => api.session.get(), 'session', () => false);
  const [notice, setNotice] = useState<string | null>(null);
  const mine = teams.data?.find((t) => t.name === team);
  // The same rule as the policy's team:manage; the API still decides.
  const manages = mine?.role === 'admin' || session.data?.user.platformAdmin === true;
  const changed = (message: string) => { setNotice(message); members.reload(); };
  const saved = (message: string) => { setNotice(message); teams.reload(); };
  return (
    <main id="main">
      <nav class="tabs" aria-label="Teams"><a href={paths.top('teams')} class="back">Teams</a><span aria-hidden="true" class="muted">/</span><span>{team}</span></nav>
      <PageTitle title={`Team ${team}`}>Team {team}</PageTitle>
      {mine && <p class="muted">Your role: {mine.role ?? 'none (platform admin)'}. Members may {mine.memberPermissions.join(', ')} on the team's apps. <a href={`/activity?team=${encodeURIComponent(team)}`}>Activity of this team</a></p>}
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={members.error} />
      {!members.data && !members.error && <Loading what="members" />}
      {members.data && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Members of {team}</caption>
            <thead><tr><th scope="col">Member</th><th scope="col">Role</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {members.data.map((member) => <MemberRow key={member.user} team={team} member={member} manages={manages} onChanged={changed} />)}
            </tbody>
          </table>
        </div>
      )}
      {members.data && manages && <AddMember team={team} onAdded={changed} />}
      {mine && manages && <MemberPermissions key={mine.memberPermissions.join()} team={mine} onSaved={saved} />}
      {members.data && !manages && <p class="muted">Only an admin of {team} changes its members.</p>}
    </main>
  );
}
