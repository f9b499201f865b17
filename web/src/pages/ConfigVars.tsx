import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { ConfigChanges } from '../api/types';
import { can, canReadConfig, missingNote } from '../permissions';
import { useResource } from '../resource';
import { useAction } from '../ui/action';
import { ErrorNote, Loading, PageTitle } from '../ui/common';
import { AppNav } from './AppNav';

const KEY_SHAPE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Tells what a change made: a new release, or values kept for the first deploy. */
async function describeChange(app: string, before: number | null): Promise<string> {
  const info = await api.apps.get(app);
  const now = info.currentRelease;
  if (now !== null && now !== before) return `Saved: release v${now} is live.`;
  return info.release === null ? 'Saved: the values apply from the first deploy.' : 'Saved.';
}

function VarRow({ app, name, value, revealed, manages, onReveal, onSaved }: {
  app: string; name: string; value: string; revealed: boolean; manages: boolean; onReveal: () => void; onSaved: (message: string) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value);
  const { busy, error, run } = useAction();

  const save = async (changes: ConfigChanges) => {
    await run(async () => {
      const before = (await api.apps.get(app)).currentRelease;
      await api.apps.updateConfig(app, changes);
      setEditing(false);
      onSaved(await describeChange(app, before));
    });
  };

  return (
    <tr>
      <th scope="row"><code>{name}</code></th>
      <td class="value">
        {editing ? (
          <form class="inline-form" onSubmit={(e) => { e.preventDefault(); void save({ [name]: draft }); }}>
            <label class="visually-hidden" for={`edit-${name}`}>New value of {name}</label>
            <input id={`edit-${name}`} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
            <button type="submit" class="primary" disabled={busy}>Save</button>
            <button type="button" disabled={busy} onClick={() => setEditing(false)}>Cancel</button>
          </form>
        ) : revealed ? <code class="secret">{value}</code> : <span class="muted" aria-label="hidden value">••••••••</span>}
        <ErrorNote error={error} />
      </td>
      <td class="actions">
        {!editing && !revealed && <button type="button" onClick={onReveal} aria-label={`Reveal ${name}`}>Reveal</button>}
        {!editing && manages && <button type="button" onClick={() => { setDraft(value); setEditing(true); onReveal(); }} aria-label={`Edit ${name}`}>Edit</button>}
        {!editing && manages && <button type="button" class="danger" disabled={busy} onClick={() => void save({ [name]: null })} aria-label={`Remove ${name}`}>Remove</button>}
      </td>
    </tr>
  );
}

function AddVar({ app, onSaved }: { app: string; onSaved: (message: string) => void }) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const { busy, error, setError, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!KEY_SHAPE.test(key)) { setError(new Error('A config var name is letters, digits and underscores, not starting with a digit (like DATABASE_URL).')); return; }
    await run(async () => {
      const before = (await api.apps.get(app)).currentRelease;
      await api.apps.updateConfig(app, { [key]: value });
      setKey('');
      setValue('');
      onSaved(await describeChange(app, before));
    });
  };
  return (
    <form class="card add-var" onSubmit={submit}>
      <h2 id="add-var">Add a config var</h2>
      <div class="fields">
        <div><label for="var-key">Name</label><input id="var-key" required value={key} autocomplete="off" spellcheck={false} onInput={(e) => setKey(e.currentTarget.value)} /></div>
        <div><label for="var-value">Value</label><input id="var-value" value={value} autocomplete="off" spellcheck={false} onInput={(e) => setValue(e.currentTarget.value)} /></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Saving…' : 'Add'}</button>
      </div>
      <p class="muted small">Each change makes a new release of a deployed app, which restarts its instances.</p>
      <ErrorNote error={error} />
    </form>
  );
}

export function ConfigVars({ app }: { app: string }) {
  // The caller's permissions first: without one beyond view, the values are not even asked for.
  const loaded = useResource(async () => {
    const info = await api.apps.get(app);
    return { info, vars: canReadConfig(info) ? await api.apps.config(app) : null };
  }, `config:${app}`, (c) => c.app === app);
  const config = { ...loaded, data: loaded.data?.vars ?? null };
  const manages = can(loaded.data?.info, 'manage');
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const names = Object.keys(config.data ?? {}).sort();
  const allShown = names.length > 0 && names.every((n) => revealed.has(n));
  const saved = (message: string) => { setNotice(message); config.reload(); };

  return (
    <main id="main">
      <AppNav app={app} current="config" />
      <PageTitle title={`Config vars · ${app}`}>Config vars</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={config.error} />
      {!loaded.data && !loaded.error && <Loading what="config vars" />}
      {loaded.data && loaded.data.vars === null && (
        <p class="muted">You have the view permission on {app}: its config values are not shown to you. Someone with deploy, operate or manage reads them.</p>
      )}
      {config.data && (names.length === 0 ? <p class="muted">No config vars yet.</p> : (
        <>
          <p><button type="button" onClick={() => setRevealed(allShown ? new Set() : new Set(names))}>{allShown ? 'Hide all values' : 'Reveal all values'}</button></p>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Value</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {names.map((name) => (
                  <VarRow key={name} app={app} name={name} value={config.data![name] ?? ''} revealed={revealed.has(name)} manages={manages}
                    onReveal={() => setRevealed((s) => new Set([...s, name]))} onSaved={saved} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      ))}
      {config.data && (manages ? <AddVar app={app} onSaved={saved} /> : <p class="muted">{missingNote(app, 'manage')}</p>)}
    </main>
  );
}
