/**
 * The app's add-ons: state, attachments and the variables they set; create, attach to another app,
 * detach, rotate credentials, destroy (typed confirmation); backups with size, duration and status
 * ("verified" only once restored into a scratch server; a failure shown loudly), capture, download,
 * restore (typed confirmation). Provisioning and backups run on in the background: while one does,
 * the page asks again every 10 s (add-on changes do not travel on the live stream).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ADDON_KINDS, ADDON_PLANS, addonsApi, type Addon, type Backup } from '../api/addons';
import { useResource } from '../resource';
import { formatters } from '../ui/chart';
import { useAction } from '../ui/action';
import { Badge, ErrorNote, Loading, PageTitle, Time } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/addons.css';

const POLL_MS = 10_000;

/** Asks for `name` to be typed before a destructive action is offered. */
function TypedConfirm({ id, name, action, busy, onConfirm, onCancel, children }: {
  id: string; name: string; action: string; busy: boolean; onConfirm: () => void; onCancel: () => void; children?: ComponentChildren;
}) {
  const [typed, setTyped] = useState('');
  return (
    <form class="typed-confirm" onSubmit={(e) => { e.preventDefault(); if (typed === name) onConfirm(); }}>
      <label for={id}>Type <code>{name}</code> to confirm</label>
      <input id={id} value={typed} autocomplete="off" spellcheck={false} onInput={(e) => setTyped(e.currentTarget.value)} />
      {children}
      <button type="submit" class="danger" disabled={busy || typed !== name}>{busy ? 'Working…' : action}</button>
      <button type="button" disabled={busy} onClick={onCancel}>Cancel</button>
    </form>
  );
}

function stateTone(addon: Addon): 'ok' | 'warn' | 'bad' | 'plain' {
  if (addon.state === 'failed' || addon.health === 'unhealthy') return 'bad';
  if (addon.state === 'available') return 'ok';
  return 'warn';
}

export function backupTone(status: Backup['status']): 'ok' | 'warn' | 'bad' | 'plain' {
  if (status === 'verified') return 'ok';
  if (status === 'failed') return 'bad';
  if (status === 'succeeded') return 'plain';
  return 'warn';
}

const BACKUP_STATUS_TEXT: Record<Backup['status'], string> = {
  pending: 'pending', running: 'running', succeeded: 'captured, verifying', verified: 'verified', failed: 'FAILED',
};

function duration(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

function RestoreButton({ addon, backup, onDone }: { addon: Addon; backup: Backup; onDone: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  const action = useAction();
  if (backup.status !== 'verified') return null;
  if (!open) return <button type="button" onClick={() => setOpen(true)} aria-label={`Restore backup ${backup.id}`}>Restore</button>;
  return (
    <div>
      <p class="small">Restoring replaces every value in <strong>{addon.name}</strong> with the backup's.</p>
      <TypedConfirm id={`restore-${addon.name}-${backup.id}`} name={addon.name} action={`Restore ${backup.id}`} busy={action.busy}
        onCancel={() => setOpen(false)}
        onConfirm={() => void action.run(() => addonsApi.restore(addon.name, backup.id, addon.name), () => { setOpen(false); onDone(`Backup ${backup.id} restored into ${addon.name}.`); })} />
      <ErrorNote error={action.error} />
    </div>
  );
}

function Backups({ addon }: { addon: Addon }) {
  const backups = useResource(() => addonsApi.backups(addon.name), `backups:${addon.name}`, () => false);
  const capture = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const active = (backups.data ?? []).some((b) => b.status === 'pending' || b.status === 'running' || b.status === 'succeeded');
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => backups.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [active, backups.reload]);

  if (addon.kind === 'external') return null;
  return (
    <section aria-labelledby={`backups-${addon.name}`}>
      <div class="page-head">
        <h3 id={`backups-${addon.name}`}>Backups</h3>
        <button type="button" disabled={capture.busy || addon.state !== 'available'}
          onClick={() => void capture.run(() => addonsApi.capture(addon.name), () => { setNotice(null); backups.reload(); })}>
          {capture.busy ? 'Capturing…' : 'Capture a backup'}
        </button>
      </div>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={capture.error} />
      <ErrorNote error={backups.error} />
      {!backups.data && !backups.error && <Loading what="backups" />}
      {backups.data && backups.data.length === 0 && <p class="muted">No backups yet. Capture one, or schedule them with <code>slipway addons:backups:schedule {addon.name} --at 02:00 --keep 7</code>.</p>}
      {backups.data && backups.data.length > 0 && (
        <div class="table-wrap">
          <table class="backups">
            <caption class="visually-hidden">Backups of {addon.name}, newest first</caption>
            <thead><tr><th scope="col">Backup</th><th scope="col">Status</th><th scope="col">Size</th><th scope="col">Duration</th><th scope="col">Taken</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {backups.data.map((b) => (
                <tr key={b.id} class={b.status === 'failed' ? 'backup-failed' : undefined}>
                  <th scope="row">{b.id}{b.trigger === 'scheduled' && <span class="muted small"> scheduled</span>}</th>
                  <td>
                    <Badge tone={backupTone(b.status)}>{BACKUP_STATUS_TEXT[b.status]}</Badge>
                    {b.status === 'failed' && b.error && <p class="error small" role="alert">Backup {b.id} failed: {b.error}</p>}
                  </td>
                  <td>{b.size === null ? '–' : formatters.bytes(b.size)}</td>
                  <td>{duration(b.durationMs)}</td>
                  <td><Time iso={b.startedAt ?? b.createdAt} /></td>
                  <td><div class="row-actions">
                    {b.status === 'verified' && <a href={addonsApi.downloadUrl(addon.name, b.id)} download aria-label={`Download backup ${b.id}`}>Download</a>}
                    <RestoreButton addon={addon} backup={b} onDone={(m) => { setNotice(m); backups.reload(); }} />
                  </div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function AttachForm({ addon, onDone }: { addon: Addon; onDone: (message: string) => void }) {
  const [app, setApp] = useState('');
  const [as, setAs] = useState('');
  const action = useAction();
  const id = `attach-${addon.name}`;
  return (
    <form class="fields" onSubmit={(e) => { e.preventDefault(); void action.run(() => addonsApi.attach(addon.name, app.trim(), as.trim() || undefined), () => { onDone(`${addon.name} attached to ${app.trim()}: it gets a new release with the add-on's variables.`); setApp(''); setAs(''); }); }}>
      <div><label for={`${id}-app`}>Attach to app</label><input id={`${id}-app`} required value={app} onInput={(e) => setApp(e.currentTarget.value)} placeholder="other-app" /></div>
      <div><label for={`${id}-as`}>As (optional)</label><input id={`${id}-as`} value={as} onInput={(e) => setAs(e.currentTarget.value.toUpperCase())} placeholder="MAIN_DB" /></div>
      <button type="submit" disabled={action.busy}>{action.busy ? 'Attaching…' : 'Attach'}</button>
      <ErrorNote error={action.error} />
    </form>
  );
}

function AddonCard({ app, addon, onChanged }: { app: string; addon: Addon; onChanged: (message: string) => void }) {
  const [destroying, setDestroying] = useState(false);
  const [detachAll, setDetachAll] = useState(false);
  const action = useAction();
  const others = addon.attachments.filter((a) => a.app !== app);
  return (
    <section class="card addon" aria-labelledby={`addon-${addon.name}`}>
      <div class="page-head">
        <h2 id={`addon-${addon.name}`}>{addon.name}</h2>
        <span class="addon-facts">
          <Badge tone="plain">{addon.kind}</Badge> <Badge tone="plain">{addon.plan}</Badge>{' '}
          <Badge tone={stateTone(addon)}>{addon.state}{addon.state === 'available' && addon.health !== 'healthy' ? `, ${addon.health}` : ''}</Badge>
        </span>
      </div>
      {addon.stateReason && <p class={addon.state === 'failed' || addon.health === 'unhealthy' ? 'error' : 'muted'} role="status">{addon.stateReason}</p>}
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">Apps {addon.name} is attached to</caption>
          <thead><tr><th scope="col">App</th><th scope="col">Attached as</th><th scope="col">Config vars</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {addon.attachments.map((a) => (
              <tr key={`${a.app}:${a.name}`}>
                <th scope="row">{a.app}</th>
                <td>{a.name}{!a.bound && <span class="muted small"> (updating)</span>}</td>
                <td>{a.configKeys.map((k) => <code key={k} class="config-key">{k}</code>)}</td>
                <td><div class="row-actions">
                  <button type="button" disabled={action.busy} aria-label={`Detach ${addon.name} from ${a.app}`}
                    onClick={() => void action.run(() => addonsApi.detach(addon.name, a.app), () => onChanged(`${addon.name} detached from ${a.app}: its variables are removed with a new release.`))}>Detach</button>
                </div></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {others.length > 0 && <p class="muted small">Also used by {others.map((a) => a.app).join(', ')}.</p>}
      <details class="addon-more">
        <summary>Attach to another app</summary>
        <AttachForm addon={addon} onDone={onChanged} />
      </details>
      <div class="inline-form addon-actions">
        <button type="button" disabled={action.busy || addon.state !== 'available' || addon.kind === 'external'}
          onClick={() => void action.run(() => addonsApi.rotate(addon.name), () => onChanged(`New credentials for ${addon.name}: every attached app gets a new release, then the old ones are revoked.`))}>
          Rotate credentials
        </button>
        {!destroying && <button type="button" class="danger" onClick={() => setDestroying(true)}>Destroy…</button>}
      </div>
      {destroying && (
        <div class="card danger-zone">
          <p>Destroying <strong>{addon.name}</strong> deletes its server, its data and its backups.</p>
          <TypedConfirm id={`destroy-${addon.name}`} name={addon.name} action={`Destroy ${addon.name}`} busy={action.busy}
            onCancel={() => setDestroying(false)}
            onConfirm={() => void action.run(() => addonsApi.destroy(addon.name, addon.name, detachAll), () => onChanged(`${addon.name} is being destroyed.`))}>
            {addon.attachments.length > 0 && (
              <label class="check"><input type="checkbox" checked={detachAll} onChange={(e) => setDetachAll(e.currentTarget.checked)} /> Detach it from every app first ({addon.attachments.map((a) => a.app).join(', ')})</label>
            )}
          </TypedConfirm>
        </div>
      )}
      <ErrorNote error={action.error} />
      {addon.state === 'available' && <Backups addon={addon} />}
    </section>
  );
}

function CreateAddon({ app, onCreated }: { app: string; onCreated: (addon: Addon) => void }) {
  const [kind, setKind] = useState<string>('postgresql');
  const [plan, setPlan] = useState<string>('small');
  const [as, setAs] = useState('');
  const action = useAction();
  return (
    <form class="card" aria-labelledby="create-addon" onSubmit={(e) => {
      e.preventDefault();
      void action.run(async () => onCreated(await addonsApi.create(app, { kind, plan, ...(as.trim() ? { as: as.trim() } : {}) })), () => setAs(''));
    }}>
      <h2 id="create-addon">Add an add-on</h2>
      <div class="fields">
        <div><label for="addon-kind">Kind</label>
          <select id="addon-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            {ADDON_KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </div>
        <div><label for="addon-plan">Plan</label>
          <select id="addon-plan" value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
            {ADDON_PLANS.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </div>
        <div><label for="addon-as">As (optional)</label>
          <input id="addon-as" value={as} placeholder="CACHE" autocomplete="off" onInput={(e) => setAs(e.currentTarget.value.toUpperCase())} />
        </div>
        <button type="submit" class="primary" disabled={action.busy}>{action.busy ? 'Creating…' : 'Create'}</button>
      </div>
      <p class="muted small">The app gets <code>DATABASE_URL</code> (or <code>REDIS_URL</code>), and <code>NAME_URL</code> with “As”, in a new release once the server is up.</p>
      <ErrorNote error={action.error} />
    </form>
  );
}

export function AddOns({ app }: { app: string }) {
  const addons = useResource(() => addonsApi.forApp(app), `addons:${app}`, (c) => c.app === app);
  const [notice, setNotice] = useState<string | null>(null);
  const busy = (addons.data ?? []).some((a) => a.state === 'provisioning' || a.state === 'deprovisioning' || a.attachments.some((t) => !t.bound));
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => addons.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [busy, addons.reload]);
  const changed = (message: string) => { setNotice(message); addons.reload(); };

  return (
    <main id="main">
      <AppNav app={app} current="addons" />
      <PageTitle title={`Add-ons · ${app}`}>Add-ons</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={addons.error} />
      {!addons.data && !addons.error && <Loading what="add-ons" />}
      {addons.data && addons.data.length === 0 && (
        <p class="muted">No add-ons yet. Add a PostgreSQL, MySQL or Redis server below, or from a terminal: <code>slipway addons:create {app} postgresql</code>.</p>
      )}
      {addons.data?.map((addon) => <AddonCard key={addon.name} app={app} addon={addon} onChanged={changed} />)}
      {addons.data && <CreateAddon app={app} onCreated={(a) => changed(`${a.name} is being provisioned; the app gets its variables when it is up.`)} />}
    </main>
  );
}
