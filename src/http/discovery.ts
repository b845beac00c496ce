/**
 * The discovery document (`GET /cds-services`), derived from the loaded services, with what an
 * EHR that polls it needs to not fetch it again: an ETag that changes with the content and a
 * short Cache-Control; `If-None-Match` with the current tag is answered 304 without a body.
 */
import { hookDefinition } from '../protocol/hooks.ts';
import { CDS_HOOKS_VERSION } from '../protocol/spec-version.ts';
import type { RuleSet } from '../rules/compile.ts';
import { textHash } from '../rules/version.ts';

/** The extension key under which each service shows its content version. */
export const CONTENT_VERSION_EXTENSION = 'org.cds-rules.content-version';

export interface DiscoveryService {
  hook: string;
  id: string;
  title: string;
  description: string;
  prefetch?: Record<string, string>;
  usageRequirements?: string;
  /** CDS Hooks 3.0 (ballot): the version of the CDS Hooks specification the service implements. */
  version: string;
  /** CDS Hooks 3.0 (ballot): the Library's version of the hook this service answers. */
  hookVersion: string;
  /** The service's content version (a hash of its rules' versions, as calls record it). */
  extension: { [CONTENT_VERSION_EXTENSION]: string };
}

export interface DiscoveryDocument {
  services: DiscoveryService[];
}

/** The document, its JSON text and its entity tag, computed once per loaded content. */
export interface DiscoveryAnswer {
  document: DiscoveryDocument;
  body: string;
  etag: string;
}

/**
 * Short, so a rule change (hot reload, a deploy) reaches the EHR within a minute; `private`,
 * because with trusted clients configured the document is served only to an authenticated caller.
 */
export const DISCOVERY_CACHE_CONTROL = 'private, max-age=60';

const cache = new WeakMap<RuleSet, DiscoveryAnswer>();

export function discovery(ruleSet: RuleSet): DiscoveryAnswer {
  let answer = cache.get(ruleSet);
  if (!answer) {
    const document: DiscoveryDocument = {
      services: [...ruleSet.services.values()].map((s) => ({
        hook: s.hook,
        id: s.id,
        title: s.title,
        description: s.description,
        ...(Object.keys(s.prefetch).length > 0 ? { prefetch: s.prefetch } : {}),
        ...(s.usageRequirements ? { usageRequirements: s.usageRequirements } : {}),
        version: CDS_HOOKS_VERSION,
        hookVersion: hookDefinition(s.hook).hookVersion,
        extension: { [CONTENT_VERSION_EXTENSION]: s.version },
      })),
    };
    const body = JSON.stringify(document);
    // The hash of exactly the bytes served: any change of content, templates or versions changes it.
    answer = { document, body, etag: `"${textHash(body).slice(0, 32)}"` };
    cache.set(ruleSet, answer);
  }
  return answer;
}

/**
 * Whether an `If-None-Match` header names this tag: a list of tags, weak or strong (RFC 9110
 * 13.1.2 compares weakly for GET), or `*`.
 */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
