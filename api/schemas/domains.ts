/** Custom domains, TLS certificates and HTTPS settings of an app. */
import { z } from 'zod';
import { Timestamp } from './common';
import { hint } from './hint';

/** The certificate serving a domain, in short. */
export const CertSummarySchema = z.object({
  id: z.number().int(),
  /** SHA-256 of the leaf certificate, `AB:CD:…`. */
  fingerprint: z.string(),
  expiresAt: Timestamp,
});
export type CertSummary = z.infer<typeof CertSummarySchema>;

/** One of an app's domains: its default `<app>.<domain>` or a custom one. */
export const DomainSchema = z.object({
  hostname: z.string(),
  kind: z.enum(['default', 'custom']),
  wildcard: z.boolean(),
  createdAt: Timestamp.nullable(),
  cert: CertSummarySchema.nullable(),
});
export type Domain = z.infer<typeof DomainSchema>;

/** One of an app's TLS certificates, never its key. */
export const CertSchema = CertSummarySchema.extend({
  names: z.array(z.string()),
  domains: z.array(z.string()),
  subject: z.string().nullable(),
  issuer: z.string().nullable(),
  selfSigned: z.boolean().nullable(),
  createdAt: Timestamp,
});
export type Cert = z.infer<typeof CertSchema>;

/** The new certificate and those it replaced. */
export const AddedCertSchema = CertSchema.extend({ replaced: z.array(CertSummarySchema.extend({ names: z.array(z.string()) })) });
export type AddedCert = z.infer<typeof AddedCertSchema>;

export const TlsSettingsSchema = z.object({ redirectHttps: z.boolean() });
export type TlsSettings = z.infer<typeof TlsSettingsSchema>;

const pemError = 'Give the certificate and its key as PEM text: {"certificate": "-----BEGIN CERTIFICATE-----…", "privateKey": "-----BEGIN PRIVATE KEY-----…"}';
export const CertUploadSchema = z.object({
  certificate: z.string(hint(pemError)).trim().min(1, hint(pemError)),
  privateKey: z.string(hint(pemError)).trim().min(1, hint(pemError)),
}, hint(pemError));
