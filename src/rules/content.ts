/**
 * Where content lives, by path: the one convention the disk loader, the Worker build and the
 * authoring tools share.
 *
 * ```
 * rules/<service-id>/service.yaml      the service: hook, title, description
 * rules/<service-id>/<rule>.yaml       one rule per file
 * rules/<service-id>/<rule>.test.yaml  the rule's example patients (authoring tests)
 * rules/valuesets/<id>.json            FHIR ValueSet with an expansion
 * rules/libraries/<name>.yaml          shared prefetch and defines that services include
 * rules/data/<name>.json               data tables the clinical functions read (drug strengths)
 * cards/<card-id>.yaml                 card templates (sub-folders allowed: cards/opioids/x.yaml)
 * ```
 */
export type ContentKind = 'service' | 'rule' | 'test' | 'valueset' | 'card' | 'library' | 'data';

export interface ClassifiedPath {
  kind: ContentKind;
  /** Service id for services, rules and tests; card id for cards; file stem for value sets. */
  id: string;
}

const YAML = /\.(ya?ml|json)$/;

/** Reads a content-relative path (`rules/x/service.yaml`); undefined for files that are not content. */
export function classifyContentPath(relativePath: string): ClassifiedPath | undefined {
  const path = relativePath.replaceAll('\\', '/');
  const parts = path.split('/');
  if (parts[0] === 'cards' && parts.length >= 2 && YAML.test(path)) {
    return { kind: 'card', id: parts.slice(1).join('/').replace(YAML, '') };
  }
  if (parts[0] !== 'rules' || parts.length !== 3) return undefined;
  const [, folder, file] = parts as [string, string, string];
  if (folder === 'valuesets') return file.endsWith('.json') ? { kind: 'valueset', id: file.replace(/\.json$/, '') } : undefined;
  if (folder === 'data') return file.endsWith('.json') ? { kind: 'data', id: file.replace(/\.json$/, '') } : undefined;
  if (folder === 'libraries') return YAML.test(file) ? { kind: 'library', id: file.replace(YAML, '') } : undefined;
  if (/^service\.(ya?ml|json)$/.test(file)) return { kind: 'service', id: folder };
  if (/\.test\.ya?ml$/.test(file)) return { kind: 'test', id: folder };
  if (YAML.test(file)) return { kind: 'rule', id: folder };
  return undefined;
}

export const SERVICE_ID = /^[A-Za-z0-9._~-]+$/;
