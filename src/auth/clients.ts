/**
 * Trusted CDS clients (CDS Hooks 2.0 "Trusting CDS Clients"): who may call, with which keys, and
 * which FHIR servers each may send us to. The Node shell reads the list from CDS_TRUSTED_CLIENTS;
 * the Worker shell from a binding; both validate it with this one schema.
 */
import { CLIENT_FEATURES } from '../protocol/card.ts';
import { z } from 'zod';
import { parseSetting } from '../protocol/problems.ts';
import { httpUrl } from '../protocol/validators.ts';
import { addressKind, fhirServerUrlProblem } from '../protocol/fhir-server-url.ts';

/** http is only acceptable on the loopback interface (tests, a local EHR simulator). */
function isSafeUrl(value: string): boolean {
  const url = httpUrl(value, { credentials: false });
  return url?.protocol === 'https:' || (url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
}

const keyUrl = z.string().refine(isSafeUrl, 'must be an https URL (http only on 127.0.0.1/localhost)');
/** A FHIR base URL in the one form requests use (fhir-server-url.ts), never a metadata address. */
const serverUrl = z.string().superRefine((value, ctx) => {
  const problem = fhirServerUrlProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
  else if (addressKind(new URL(value)) === 'forbidden') ctx.addIssue({ code: 'custom', message: 'must not be a link-local or cloud metadata address' });
});

const jwkSchema = z.looseObject({ kty: z.string().min(1, 'must name the key type') });

export const trustedClientSchema = z
  .object({
    /** The `iss` claim the client signs with, compared exactly. */
    iss: z.string().min(1, 'must be the issuer URI the client puts in iss'),
    /** Where the client publishes its JWK Set; a token's `jku` header must be one of these. */
    jwksUrl: z.union([keyUrl, z.array(keyUrl).min(1, 'must list at least one URL')]).optional(),
    /** The client's public keys inline (offline use); when given, no key is fetched. */
    jwks: z.object({ keys: z.array(jwkSchema).min(1, 'must hold at least one key') }).optional(),
    /** FHIR servers this client may name as fhirServer; none listed means no FHIR fallback. */
    fhirServers: z.array(serverUrl).default([]),
    /** When listed, the token's `tenant` claim must be one of these. */
    tenants: z.array(z.string().min(1)).optional(),
    /**
     * CDS Hooks 3.0 ballot features the client has said it supports ("clients SHALL indicate
     * whether they support the actionSelectionBehavior feature"); the service uses none otherwise.
     */
    supports: z.array(z.enum(CLIENT_FEATURES, { error: `must list features among ${CLIENT_FEATURES.join(', ')}` })).optional(),
  })
  .strict()
  .refine((c) => c.jwksUrl !== undefined || c.jwks !== undefined, { message: 'needs jwksUrl or jwks', path: ['jwksUrl'] });

export const trustedClientsSchema = z
  .array(trustedClientSchema)
  .superRefine((clients, ctx) => {
    const seen = new Set<string>();
    clients.forEach((c, i) => {
      if (seen.has(c.iss)) ctx.addIssue({ code: 'custom', path: [i, 'iss'], message: `'${c.iss}' is listed twice` });
      seen.add(c.iss);
    });
  });

/**
 * Validates a trusted-clients list (already parsed from JSON or YAML).
 * @throws Error whose message starts with `where` and names the offending entry and field.
 */
export function parseTrustedClients(data: unknown, where: string): TrustedClient[] {
  return parseSetting(trustedClientsSchema, data, where);
}

export type TrustedClientInput = z.input<typeof trustedClientSchema>;
export type TrustedClient = z.output<typeof trustedClientSchema>;

/** The JWKS URLs of a client as a list. */
export const jwksUrls = (client: TrustedClient): string[] =>
  client.jwksUrl === undefined ? [] : Array.isArray(client.jwksUrl) ? client.jwksUrl : [client.jwksUrl];

/**
 * A URL in the one form we compare: parsed (lower-case scheme and host, default port dropped),
 * without a trailing slash, query or fragment.
 */
export function normalizeUrl(value: string): string {
  const url = new URL(value);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
