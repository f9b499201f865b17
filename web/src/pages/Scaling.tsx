import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { FormationEntry } from '../api/types';
import { can, missingNote, useAppPermissions } from '../permissions';
import { useResource } from '../resource';
import { useAction } from '../ui/action';
import { ErrorNote, Loading, PageTitle, upCount } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/admin.css';

function ProcessRow({ app, entry, up, operates, onSaved }: { app: string; entry: FormationEntry; up: number; operates: boolean; onSaved: (message: string) => void }) {
  const [quantity, setQuantity] = useState(String(entry.quantity));
  const [memory, setMemory] = useState(`${entry.memoryMb}m`);
  const [cpu, setCpu] = useState(String(entry.cpu));
  const { busy, error, run } = useAction();
  useEffect(() => { setQuantity(String(entry.quantity)); setMemory(`${entry.memoryMb}m`); setCpu(String(entry.cpu)); }, [entry.quantity, entry.memoryMb, entry.cpu]);

  const save = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const wanted = Number(quantity);
      if (!Number.isInteger(wanted) || wanted < 0) throw new Error(`The quantity of ${entry.type} must be a whole number, 0 or more.`);
      if (wanted !== entry.quantity) await api.apps.scale(app, { [entry.type]: wanted });
      const sizeChanged = memory !== `${entry.memoryMb}m` || Number(cpu) !== entry.cpu;
      if (sizeChanged) await api.apps.resize(app, entry.type, { memory, cpu: Number(cpu) });
      onSaved(wanted !== entry.quantity || sizeChanged ? `${entry.type}: ${wanted} × ${memory}, ${cpu} CPU. Instances are being started or stopped.` : 'Nothing changed.');
    });
  };

  const id = `scale-${entry.type}`;
  return (
    <form class="card process" onSubmit={save} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{entry.type} <span class="muted small">{up} of {entry.quantity} up</span></h2>
      <fieldset class="fields plain-fieldset" disabled={!operates}>
        <legend class="visually-hidden">Size of {entry.type}</legend>
        <div><label for={`${id}-qty`}>Instances</label><input id={`${id}-qty`} type="number" min={0} max={100} step={1} value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} /></div>
        <div><label for={`${id}-mem`}>Memory</label><input id={`${id}-mem`} value={memory} pattern="[0-9]+[mMgG]?" title="Like 512m or 1g" onInput={(e) => setMemory(e.currentTarget.value)} /></div>
        <div><label for={`${id}-cpu`}>CPU</label><input id={`${id}-cpu`} type="number" min={0.1} max={64} step={0.1} value={cpu} onInput={(e) => setCpu(e.currentTarget.value)} /></div>
        {operates && <button type="submit" class="primary" disabled={busy}>{busy ? 'Applying…' : `Apply to ${entry.type}`}</button>}
      </fieldset>
      <ErrorNote error={error} />
    </form>
  );
}

export function Scaling({ app }: { app: string }) {
  const ps = useResource(() => api.apps.ps(app), `ps:${app}`, (c) => c.app === app);
  const info = useAppPermissions(app);
  const operates = can(info.data, 'operate');
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <main id="main">
      <AppNav app={app} current="scale" />
      <PageTitle title={`Scaling · ${app}`}>Scaling</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={ps.error} />
      {!ps.data && !ps.error && <Loading what="the formation" />}
      {info.data && !operates && <p class="muted">{missingNote(app, 'operate')}</p>}
      {ps.data && ps.data.formation.map((entry) => (
        <ProcessRow key={entry.type} app={app} entry={entry} operates={operates}
          up={upCount(ps.data!.instances.filter((i) => i.type === entry.type)).up}
          onSaved={(message) => { setNotice(message); ps.reload(); }} />
      ))}
    </main>
  );
}
