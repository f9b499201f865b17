import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { SessionInfo } from '../api/types';
import { useAction } from '../ui/action';
import { ErrorNote, PageTitle } from '../ui/common';

export function SignIn({ onSignedIn, notice }: { onSignedIn: (session: SessionInfo) => void; notice: string | null }) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, run } = useAction();

  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      try {
        onSignedIn(await api.session.create(name.trim(), password));
      } catch (failure) {
        setPassword('');
        throw failure;
      }
    });
  };

  return (
    <main id="main" class="sign-in">
      <form class="card" onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <PageTitle title="Sign in">Sign in to Slipway</PageTitle>
        {notice && <p class="notice" role="status">{notice}</p>}
        <label for="name">Name</label>
        <input id="name" name="username" autocomplete="username" required value={name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <div id="sign-in-error"><ErrorNote error={error} /></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}
