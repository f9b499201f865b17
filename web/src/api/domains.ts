/** Custom domains and TLS certificates (api/routes/domains.ts). */
import type { AddedCert, Cert, Domain } from '../../../api/schemas/domains';
import { call, enc } from './client';

export type { AddedCert, Cert, Domain };

export const domainsApi = {
  list: (app: string) => call<Domain[]>('GET', `/apps/${enc(app)}/domains`),
  add: (app: string, hostname: string) => call<Domain>('POST', `/apps/${enc(app)}/domains`, { hostname }),
  remove: (app: string, hostname: string) => call<void>('DELETE', `/apps/${enc(app)}/domains/${enc(hostname)}`),
  certs: (app: string) => call<Cert[]>('GET', `/apps/${enc(app)}/certs`),
  addCert: (app: string, certificate: string, privateKey: string) => call<AddedCert>('POST', `/apps/${enc(app)}/certs`, { certificate, privateKey }),
  removeCert: (app: string, hostname: string) => call<Cert[]>('DELETE', `/apps/${enc(app)}/certs/${enc(hostname)}`),
};
