/** Platform admins: every user, create one (its generated password shown once), reset a password, disable or enable. */
import { useState } from 'preact/hooks';
import { admin, type CreatedUser, type PasswordReset, type UserView } from '../api/admin';
import { useResource } from '../resource';
import { Badge, ErrorNote, Loading, PageTitle, Time } from '../ui/common';
import { useAction } from '../ui/action';
import '../styles/admin.css';

function CreateUser({ onCreated }: { onCreated: (created: CreatedUser) => void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const { busy, error, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      onCreated(await admin.users.create(name.trim(), email.trim()));
      setName('');
      setEmail('');
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="create-user">
      <h2 id="create-user">Create a user</h2>
      <div class="fields">
        <div><label for="user-name">Name</label>
          <input id="user-name" required maxLength={64} autocomplete="off" spellcheck={false} value={name} onInput={(e) => setName(e.currentTarget.value)} /></div>
        <div><label for="user-email">Email</label>
          <input id="user-email" type="email" required autocomplete="off" value={email} onInput={(e) => setEmail(e.currentTarget.value)} /></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Creating…' : 'Create user'}</button>
      </div>
      <p class="muted small">Slipway makes a generated password, shown once here; the user signs in with it (<code>slipway login</code> or this console).</p>
      <ErrorNote error={error} />
    </form>
  );
}

function OneTimePassword({ created, onDismiss }: { created: CreatedUser; onDismiss: () => void }) {
  return (
    <section class="card" aria-labelledby="one-time" role="status">
      <h2 id="one-time">{created.user.name} is created</h2>
      {created.password ? (
        <>
          <p>Their generated password, shown this once (copy it now and give it to them over a safe channel):</p>
          <p><code class="one-time" aria-label={`Generated password of ${created.user.name}`}>{created.password}</code></p>
        </>
      ) : <p>They sign in with the password that was given.</p>}
      <button type="button" onClick={onDismiss}>Done, hide the password</button>
    </section>
  );
}

function ResetPassword({ reset, onDismiss }: { reset: PasswordReset; onDismiss: () => void }) {
  return (
    <section class="card" aria-labelledby="reset" role="status">
      <h2 id="reset">New password for {reset.user}</h2>
      <p>Their generated password, shown this once (copy it now and give it to them over a safe channel).
        {' '}{reset.loginsEnded === 0 ? 'They had no login open.' : `Their ${reset.loginsEnded} ${reset.loginsEnded === 1 ? 'login' : 'logins'} (CLI logins, console sessions) ended.`}</p>
      <p><code class="one-time" aria-label={`Generated password of ${reset.user}`}>{reset.password}</code></p>
      <button type="button" onClick={onDismiss}>Done, hide the password</button>
    </section>
  );
}

function UserRow({ user, onChanged, onReset }: { user: UserView; onChanged: (message: string) => void; onReset: (reset: PasswordReset) => void }) {
  const { busy, error, run } = useAction();
  const toggle = () => {
    void run(async () => {
      const after = await admin.users.setDisabled(user.name, !user.disabled);
      onChanged(after.disabled ? `${after.name} is disabled: their sessions, tokens and keys stopped working.` : `${after.name} is enabled again.`);
    });
  };
  // A reset ends the user's logins at once: asked twice, in place.
  const [confirming, setConfirming] = useState(false);
  const reset = () => {
    void run(async () => onReset(await admin.users.resetPassword(user.name)), () => setConfirming(false));
  };
  return (
    <tr>
      <th scope="row">{user.name}{user.platformAdmin && <> <Badge tone="warn">platform admin</Badge></>}</th>
      <td>{user.email ?? <span class="muted">–</span>}</td>
      <td>{user.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}</td>
      <td><Time iso={user.createdAt} /></td>
      <td>
        {confirming ? (
          <>
            <button type="button" class="danger" disabled={busy} onClick={reset}
              aria-label={`Confirm reset for ${user.name}: their logins end`}>Confirm reset</button>
            {' '}<button type="button" disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
          </>
        ) : <button type="button" disabled={busy} onClick={() => setConfirming(true)} aria-label={`Reset password of ${user.name}`}>Reset password</button>}
        {' '}<button type="button" class={user.disabled ? '' : 'danger'} disabled={busy} onClick={toggle}
          aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.name}`}>{user.disabled ? 'Enable' : 'Disable'}</button>
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}

export function Users() {
  const users = useResource(() => admin.users.list(), 'users', () => false);
  const [created, setCreated] = useState<CreatedUser | null>(null);
  const [reset, setReset] = useState<PasswordReset | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const changed = (message: string) => { setNotice(message); users.reload(); };
  return (
    <main id="main">
      <PageTitle title="Users">Users</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      {created && <OneTimePassword created={created} onDismiss={() => setCreated(null)} />}
      {reset && <ResetPassword reset={reset} onDismiss={() => setReset(null)} />}
      <CreateUser onCreated={(made) => { setCreated(made); setNotice(null); users.reload(); }} />
      <ErrorNote error={users.error} />
      {!users.data && !users.error && <Loading what="users" />}
      {users.data && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Users</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">State</th><th scope="col">Created</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{users.data.map((user) => <UserRow key={user.name} user={user} onChanged={changed} onReset={(r) => { setReset(r); setNotice(null); }} />)}</tbody>
          </table>
        </div>
      )}
    </main>
  );
}
