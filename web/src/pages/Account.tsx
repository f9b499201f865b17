/** Your account: who you are, your teams, and changing your password (the CLI's `auth:passwd`). */
import { useState } from 'preact/hooks';
import { account } from '../api/admin';
import { useResource } from '../resource';
import { ErrorNote, Loading, PageTitle } from '../ui/common';
import { useAction } from '../ui/action';
import '../styles/admin.css';

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    setNotice(null);
    // Checked here too, so a typo never reaches the server; the server checks the length again.
    if (next !== again) { setError(new Error('The two new passwords differ. Nothing was changed.')); return; }
    void run(async () => {
      const changed = await account.changePassword(current, next);
      setCurrent(''); setNext(''); setAgain('');
      setNotice(`Your password is changed. ${changed.loginsEnded === 0 ? 'No other login was open.'
        : `${changed.loginsEnded} other ${changed.loginsEnded === 1 ? 'login' : 'logins'} (CLI logins, console sessions) ended.`} This session goes on; API tokens and SSH keys are kept.`);
    });
  };
  return (
    <form class="card" onSubmit={submit} aria-labelledby="change-password">
      <h2 id="change-password">Change your password</h2>
      <div class="fields">
        <div><label for="current-password">Current password</label>
          <input id="current-password" type="password" required autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} /></div>
        <div><label for="new-password">New password</label>
          <input id="new-password" type="password" required minLength={10} maxLength={1024} autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} /></div>
        <div><label for="new-password-again">New password again</label>
          <input id="new-password-again" type="password" required autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} /></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Changing…' : 'Change password'}</button>
      </div>
      <p class="muted small">At least 10 characters. Your other logins end: CLI logins elsewhere and other console sessions.</p>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={error} />
    </form>
  );
}

export function Account() {
  const me = useResource(() => account.get(), 'account', () => false);
  return (
    <main id="main">
      <PageTitle title="Your account">Your account</PageTitle>
      <ErrorNote error={me.error} />
      {!me.data && !me.error && <Loading what="your account" />}
      {me.data && (
        <dl class="facts">
          <div><dt>Name</dt><dd>{me.data.name}</dd></div>
          <div><dt>Email</dt><dd>{me.data.email ?? <span class="muted">–</span>}</dd></div>
          <div><dt>Teams</dt><dd>{me.data.teams.map((t) => `${t.name} (${t.role})`).join(', ') || <span class="muted">none</span>}</dd></div>
          <div><dt>Platform admin</dt><dd>{me.data.platformAdmin ? 'yes' : 'no'}</dd></div>
        </dl>
      )}
      <ChangePassword />
    </main>
  );
}
