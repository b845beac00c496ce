/** The discovery document (`GET /cds-services`), derived from the loaded services. */
import { hookDefinition } from '../protocol/hooks.ts';
import type { RuleSet } from '../rules/compile.ts';

export interface DiscoveryService {
  hook: string;
  id: string;
  title: string;
  description: string;
  prefetch?: Record<string, string>;
  usageRequirements?: string;
  /** CDS Hooks 3.0 (ballot): the service's content version, a hash of its rules' versions. */
  version: string;
  /** CDS Hooks 3.0 (ballot): the Library's version of the hook this service answers. */
  hookVersion: string;
}

const cache = new WeakMap<RuleSet, { services: DiscoveryService[] }>();

export function discovery(ruleSet: RuleSet): { services: DiscoveryService[] } {
  let doc = cache.get(ruleSet);
  if (!doc) {
    doc = {
      services: [...ruleSet.services.values()].map((s) => ({
        hook: s.hook,
        id: s.id,
        title: s.title,
        description: s.description,
        ...(Object.keys(s.prefetch).length > 0 ? { prefetch: s.prefetch } : {}),
        ...(s.usageRequirements ? { usageRequirements: s.usageRequirements } : {}),
        version: s.version,
        hookVersion: hookDefinition(s.hook).hookVersion,
      })),
    };
    cache.set(ruleSet, doc);
  }
  return doc;
}
