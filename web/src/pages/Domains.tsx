/**
 * The app's domains and the certificates serving them: add and remove custom domains, upload a
 * certificate with its key (PEM; the key is sent once and never shown again), remove one, and see
 * when each expires (soon in amber, past in red).
 */
import { useState } from 'preact/hooks';
import { domainsApi, type Cert, type Domain } from '../api/domains';
import { useResource } from '../resource';
import { useAction } from '../ui/action';
import { Badge, ErrorNote, Loading, PageTitle } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/domains.css';

const DAY_MS = 86_400_000;

export function expiryTone(expiresAt: string, now = Date.now()): 'ok' | 'warn' | 'bad' {
  const left = Date.parse(expiresAt) - now;
  if (left <= 0) return 'bad';
  return left < 21 * DAY_MS ? 'warn' : 'ok';
}

function Expiry({ iso }: { iso: string }) {
  const days = Math.floor((Date.parse(iso) - Date.now()) / DAY_MS);
  const text = days < 0 ? `expired ${new Date(iso).toLocaleDateString()}` : `expires ${new Date(iso).toLocaleDateString()} (${days} days)`;
  return <Badge tone={expiryTone(iso)}>{text}</Badge>;
}

function DomainRow({ app, domain, onChanged }: { app: string; domain: Domain; onChanged: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const act = async (what: () => Promise<unknown>, message: string) => {
    await run(async () => { await what(); setConfirming(false); onChanged(message); });
  };
  return (
    <tr>
      <th scope="row"><a href={`https://${domain.hostname.replace(/^\*\./, 'www.')}`} rel="noreferrer" target="_blank">{domain.hostname}</a></th>
      <td>{domain.kind === 'default' ? <Badge tone="plain">default</Badge> : 'custom'}{domain.wildcard && <> <Badge tone="plain">wildcard</Badge></>}</td>
      <td>{domain.cert ? <><Expiry iso={domain.cert.expiresAt} /><br /><code class="fingerprint" title="SHA-256 fingerprint">{domain.cert.fingerprint.slice(0, 23)}…</code></> : <span class="muted">no certificate</span>}</td>
      <td><div class="row-actions">
        {domain.cert && domain.kind === 'custom' && (
          <button type="button" disabled={busy} aria-label={`Remove the certificate of ${domain.hostname}`}
            onClick={() => void act(() => domainsApi.removeCert(app, domain.hostname), `The certificate of ${domain.hostname} is removed.`)}>Remove certificate</button>
        )}
        {domain.kind === 'custom' && !confirming && <button type="button" class="danger" onClick={() => setConfirming(true)} aria-label={`Remove ${domain.hostname}`}>Remove</button>}
        {confirming && (
          <span class="confirm">
            <button type="button" class="danger" disabled={busy} onClick={() => void act(() => domainsApi.remove(app, domain.hostname), `${domain.hostname} is removed.`)}>Confirm removing {domain.hostname}</button>
            <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
          </span>
        )}
      </div><ErrorNote error={error} /></td>
    </tr>
  );
}

function AddDomain({ app, onAdded }: { app: string; onAdded: (message: string) => void }) {
  const [hostname, setHostname] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const added = await domainsApi.add(app, hostname.trim().toLowerCase());
      setHostname('');
      onAdded(`${added.hostname} is added. Point its DNS (a CNAME or A record) at this Slipway's router.`);
    });
  };
  return (
    <form class="card" aria-labelledby="add-domain" onSubmit={submit}>
      <h2 id="add-domain">Add a domain</h2>
      <div class="fields">
        <div><label for="domain-hostname">Hostname</label>
          <input id="domain-hostname" required maxLength={253} placeholder="www.example.com" value={hostname} autocomplete="off" spellcheck={false}
            onInput={(e) => setHostname(e.currentTarget.value)} /></div>
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Adding…' : 'Add domain'}</button>
      </div>
      <ErrorNote error={error} />
    </form>
  );
}

function UploadCert({ app, onAdded }: { app: string; onAdded: (message: string) => void }) {
  const [certificate, setCertificate] = useState('');
  const [privateKey, setPrivateKey] = useState('');
  const { busy, error, run } = useAction();
  const readFile = (input: HTMLInputElement, set: (text: string) => void) => { void input.files?.[0]?.text().then(set); };
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      const added = await domainsApi.addCert(app, certificate, privateKey);
      setCertificate('');
      setPrivateKey('');
      onAdded(`Certificate for ${added.names.join(', ')} added; it serves ${added.domains.length > 0 ? added.domains.join(', ') : 'no domain of this app yet'}.`);
    });
  };
  return (
    <form class="card cert-upload" aria-labelledby="upload-cert" onSubmit={submit}>
      <h2 id="upload-cert">Add a certificate</h2>
      <p class="muted small">PEM text: the certificate (with its chain) and its private key. The key is stored for the router and never shown again.</p>
      <div class="cert-fields">
        <div>
          <label for="cert-pem">Certificate</label>
          <textarea id="cert-pem" required rows={6} spellcheck={false} placeholder="-----BEGIN CERTIFICATE-----" value={certificate} onInput={(e) => setCertificate(e.currentTarget.value)} />
          <label class="file-pick">or a file <input type="file" accept=".pem,.crt,.cer" onChange={(e) => readFile(e.currentTarget, setCertificate)} /></label>
        </div>
        <div>
          <label for="key-pem">Private key</label>
          <textarea id="key-pem" required rows={6} spellcheck={false} placeholder="-----BEGIN PRIVATE KEY-----" value={privateKey} onInput={(e) => setPrivateKey(e.currentTarget.value)} />
          <label class="file-pick">or a file <input type="file" accept=".pem,.key" onChange={(e) => readFile(e.currentTarget, setPrivateKey)} /></label>
        </div>
      </div>
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Adding…' : 'Add certificate'}</button>
      <ErrorNote error={error} />
    </form>
  );
}

function Certs({ certs }: { certs: Cert[] }) {
  if (certs.length === 0) return <p class="muted">No certificates uploaded. Domains without one are served over plain HTTP (or the platform's certificate for the default domain).</p>;
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">Certificates</caption>
        <thead><tr><th scope="col">Names</th><th scope="col">Serves</th><th scope="col">Issuer</th><th scope="col">Expiry</th></tr></thead>
        <tbody>
          {certs.map((c) => (
            <tr key={c.id}>
              <th scope="row">{c.names.join(', ')}</th>
              <td>{c.domains.length > 0 ? c.domains.join(', ') : <span class="muted">no domain</span>}</td>
              <td>{c.selfSigned ? 'self-signed' : c.issuer ?? '–'}</td>
              <td><Expiry iso={c.expiresAt} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Domains({ app }: { app: string }) {
  const domains = useResource(() => domainsApi.list(app), `domains:${app}`, (c) => c.app === app);
  const certs = useResource(() => domainsApi.certs(app), `certs:${app}`, (c) => c.app === app);
  const [notice, setNotice] = useState<string | null>(null);
  const changed = (message: string) => { setNotice(message); domains.reload(); certs.reload(); };
  return (
    <main id="main">
      <AppNav app={app} current="domains" />
      <PageTitle title={`Domains · ${app}`}>Domains</PageTitle>
      {notice && <p class="notice" role="status">{notice}</p>}
      <ErrorNote error={domains.error} />
      {!domains.data && !domains.error && <Loading what="domains" />}
      {domains.data && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Domains of {app}</caption>
            <thead><tr><th scope="col">Hostname</th><th scope="col">Kind</th><th scope="col">Certificate</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>{domains.data.map((d) => <DomainRow key={d.hostname} app={app} domain={d} onChanged={changed} />)}</tbody>
          </table>
        </div>
      )}
      <AddDomain app={app} onAdded={changed} />
      <h2>Certificates</h2>
      <ErrorNote error={certs.error} />
      {certs.data && <Certs certs={certs.data} />}
      <UploadCert app={app} onAdded={changed} />
    </main>
  );
}
