/** Custom domains, TLS certificates and HTTPS settings of an app (docs/contracts/api.md "Domains and TLS"). */
import { Router, type Request } from 'express';
import { SlipwayError } from '../../lib/errors';
import { describeCertificate } from '../../engine/certs';
import type { CertView, DomainsService, DomainView } from '../../engine/domains-service';
import type { StoredCert } from '../../engine/store/domains-repo';

export interface DomainRoutesDeps {
  domains: DomainsService;
}

function param(req: Request, name: string): string {
  return String(req.params[name] ?? '');
}

function certSummary(cert: StoredCert) {
  return { id: cert.id, fingerprint: cert.fingerprint, expiresAt: cert.notAfter.toISOString() };
}

export function domainJson(domain: DomainView) {
  return {
    hostname: domain.hostname,
    kind: domain.kind,
    wildcard: domain.wildcard,
    createdAt: domain.createdAt?.toISOString() ?? null,
    cert: domain.cert ? certSummary(domain.cert) : null,
  };
}

/** Never the private key. */
export function certJson(view: CertView) {
  const described = describeCertificate(view.cert.certificatePem);
  return {
    ...certSummary(view.cert),
    names: view.cert.names,
    domains: view.domains,
    subject: described?.subject ?? null,
    issuer: described?.issuer ?? null,
    selfSigned: described?.selfSigned ?? null,
    createdAt: view.cert.createdAt.toISOString(),
  };
}

function pemField(body: unknown, field: 'certificate' | 'privateKey'): string {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new SlipwayError('invalid_request', 'Give the certificate and its key as PEM text: {"certificate": "-----BEGIN CERTIFICATE-----…", "privateKey": "-----BEGIN PRIVATE KEY-----…"}.');
  }
  return value;
}

export function domainRoutes({ domains }: DomainRoutesDeps): Router {
  const router = Router();

  router.get('/apps/:app/domains', async (req, res) => {
    res.json((await domains.list(param(req, 'app'))).map(domainJson));
  });

  router.post('/apps/:app/domains', async (req, res) => {
    const hostname = (req.body as { hostname?: unknown } | undefined)?.hostname;
    if (typeof hostname !== 'string') throw new SlipwayError('invalid_request', 'Give the domain: {"hostname": "www.example.com"}.');
    res.status(201).json(domainJson(await domains.add(param(req, 'app'), hostname)));
  });

  router.delete('/apps/:app/domains/:hostname', async (req, res) => {
    await domains.remove(param(req, 'app'), param(req, 'hostname'));
    res.status(204).end();
  });

  router.get('/apps/:app/certs', async (req, res) => {
    res.json((await domains.certs(param(req, 'app'))).map(certJson));
  });

  router.post('/apps/:app/certs', async (req, res) => {
    const added = await domains.addCert(param(req, 'app'), pemField(req.body, 'certificate'), pemField(req.body, 'privateKey'));
    res.status(201).json({
      ...certJson(added),
      replaced: added.replaced.map((cert) => ({ ...certSummary(cert), names: cert.names })),
    });
  });

  // Removes every certificate of the app; answers what was removed.
  router.delete('/apps/:app/certs', async (req, res) => {
    res.json((await domains.removeCerts(param(req, 'app'))).map(certJson));
  });

  // Removes the certificate serving :hostname (all of it); answers what was removed.
  router.delete('/apps/:app/certs/:hostname', async (req, res) => {
    res.json((await domains.removeCerts(param(req, 'app'), param(req, 'hostname'))).map(certJson));
  });

  router.get('/apps/:app/tls', async (req, res) => {
    res.json(await domains.settings(param(req, 'app')));
  });

  router.patch('/apps/:app/tls', async (req, res) => {
    const redirectHttps = (req.body as { redirectHttps?: unknown } | undefined)?.redirectHttps;
    if (typeof redirectHttps !== 'boolean') throw new SlipwayError('invalid_request', 'Say whether to redirect HTTP to HTTPS: {"redirectHttps": true} or false.');
    res.json(await domains.updateSettings(param(req, 'app'), { redirectHttps }));
  });

  return router;
}
