/** Platform capacity: each host (node) with the memory and CPU its instances commit, and what is free. */
import { admin, type HostUsage } from '../api/admin';
import { useResource } from '../resource';
import { ErrorNote, Loading, PageTitle } from '../ui/common';
import '../styles/admin.css';

const gb = (mb: number) => `${(mb / 1024).toFixed(1)} GB`;

function Host({ host }: { host: HostUsage }) {
  const usableMb = Math.max(0, host.memory.totalMb - host.memory.reservedMb);
  const id = `host-${host.name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{host.name}</h2>
      <p class="muted small">{host.instances} instance{host.instances === 1 ? '' : 's'} running</p>
      <dl class="facts">
        <div>
          <dt>Memory</dt>
          <dd>
            {gb(host.memory.committedMb)} used of {gb(usableMb)} · <strong>{gb(host.memory.freeMb)} free</strong>
            <meter min={0} max={usableMb || 1} value={host.memory.committedMb} high={usableMb * 0.85} aria-label={`Memory committed on ${host.name}`} />
            <span class="muted small">{gb(host.memory.totalMb)} in all, {gb(host.memory.reservedMb)} kept for the system</span>
          </dd>
        </div>
        <div>
          <dt>CPU</dt>
          <dd>
            {host.cpu.committed} used of {host.cpu.allocatable} · <strong>{host.cpu.free} free</strong>
            <meter min={0} max={host.cpu.allocatable || 1} value={host.cpu.committed} high={host.cpu.allocatable * 0.85} aria-label={`CPU committed on ${host.name}`} />
            <span class="muted small">{host.cpu.cores} cores × {host.cpu.cores ? Math.round((host.cpu.allocatable / host.cpu.cores) * 100) / 100 : 0} overcommit</span>
          </dd>
        </div>
      </dl>
    </section>
  );
}

export function Capacity() {
  const capacity = useResource(() => admin.capacity(), 'capacity', (c) => c.kind === 'app');
  return (
    <main id="main">
      <PageTitle title="Capacity">Capacity</PageTitle>
      <p class="muted">What instances commit by their limits (memory strictly, CPU as caps that may be overcommitted), and what the next deploy or scale may still take.</p>
      <ErrorNote error={capacity.error} />
      {!capacity.data && !capacity.error && <Loading what="capacity" />}
      {capacity.data && <div class="hosts">{capacity.data.hosts.map((host) => <Host key={host.name} host={host} />)}</div>}
    </main>
  );
}
