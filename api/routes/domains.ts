/** Custom domains, TLS certificates and HTTPS settings of an app (docs/contracts/api.md "Domains and TLS"). */
import { z } from 'zod';
import { describeCertificate } from '../../engine/certs';
import type { CertView, DomainsService, DomainView } from '../../engine/domains-service';
import type { StoredCert } from '../../engine/store/domains-repo';
import { defineRoute, type Route } from '../route-table';
import { AppParams } from '../schemas/common';
import { AddedCertSchema, CertSchema, CertUploadSchema, DomainSchema, TlsSettingsSchema } from '../schemas/domains';
import { hint } from '../schemas/hint';

export interface DomainRoutesDeps {
  domains: DomainsService;
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

const hostnameError = 'Give the domain: {"hostname": "www.example.com"}';
const redirectError = 'Say whether to redirect HTTP to HTTPS: {"redirectHttps": true} or false';
const HostnameParams = AppParams.extend({ hostname: z.string().min(1).max(300) });

export function domainRoutes({ domains }: DomainRoutesDeps): Route[] {
  const view = ({ params }: { params: { app: string } }) => ({ action: 'app:view' as const, app: params.app });
  const manage = ({ params }: { params: { app: string } }) => ({ action: 'app:manage' as const, app: params.app });
  return [
    defineRoute({
      method: 'get', path: '/apps/:app/domains', tag: 'domains', summary: 'The app\'s domains and the certificates serving them',
      params: AppParams, response: z.array(DomainSchema), access: view,
      handler: async ({ params }) => (await domains.list(params.app)).map(domainJson),
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/domains', tag: 'domains', summary: 'Add a custom domain',
      params: AppParams, body: z.object({ hostname: z.string(hint(hostnameError)) }, hint(hostnameError)),
      response: DomainSchema, status: 201, audit: 'domain.add', errors: ['invalid_domain', 'domain_taken'], access: manage,
      handler: async ({ params, body }) => domainJson(await domains.add(params.app, body.hostname)),
    }),
    defineRoute({
      method: 'delete', path: '/apps/:app/domains/:hostname', tag: 'domains', summary: 'Remove a custom domain',
      params: HostnameParams, audit: 'domain.remove', errors: ['domain_not_found'], access: manage,
      handler: async ({ params }) => { await domains.remove(params.app, params.hostname); },
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/certs', tag: 'domains', summary: 'The app\'s TLS certificates (never their keys)',
      params: AppParams, response: z.array(CertSchema), access: view,
      handler: async ({ params }) => (await domains.certs(params.app)).map(certJson),
    }),
    defineRoute({
      method: 'post', path: '/apps/:app/certs', tag: 'domains', summary: 'Add a TLS certificate and its private key',
      params: AppParams, body: CertUploadSchema, response: AddedCertSchema, status: 201, audit: 'cert.add',
      errors: ['invalid_certificate'], access: manage,
      handler: async ({ params, body }) => {
        const added = await domains.addCert(params.app, body.certificate, body.privateKey);
        return { ...certJson(added), replaced: added.replaced.map((cert) => ({ ...certSummary(cert), names: cert.names })) };
      },
    }),
    defineRoute({
      // Removes every certificate of the app; answers what was removed.
      method: 'delete', path: '/apps/:app/certs', tag: 'domains', summary: 'Remove every certificate of the app',
      params: AppParams, response: z.array(CertSchema), audit: 'cert.remove', access: manage,
      handler: async ({ params }) => (await domains.removeCerts(params.app)).map(certJson),
    }),
    defineRoute({
      // Removes the certificate serving :hostname (all of it); answers what was removed.
      method: 'delete', path: '/apps/:app/certs/:hostname', tag: 'domains', summary: 'Remove the certificate serving a domain',
      params: HostnameParams, response: z.array(CertSchema), audit: 'cert.remove', errors: ['cert_not_found'], access: manage,
      handler: async ({ params }) => (await domains.removeCerts(params.app, params.hostname)).map(certJson),
    }),
    defineRoute({
      method: 'get', path: '/apps/:app/tls', tag: 'domains', summary: 'The app\'s HTTPS settings',
      params: AppParams, response: TlsSettingsSchema, access: view,
      handler: async ({ params }) => domains.settings(params.app),
    }),
    defineRoute({
      method: 'patch', path: '/apps/:app/tls', tag: 'domains', summary: 'Change the app\'s HTTPS settings',
      params: AppParams, body: z.object({ redirectHttps: z.boolean(hint(redirectError)) }, hint(redirectError)),
      response: TlsSettingsSchema, audit: 'tls.change', access: manage,
      handler: async ({ params, body }) => domains.updateSettings(params.app, { redirectHttps: body.redirectHttps }),
    }),
  ];
}
