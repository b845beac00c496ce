/**
 * What the compiler produces: the compiled services, rules and expressions that the pipeline
 * runs. Types only; `compile.ts` re-exports them, so callers import from there.
 */
import type { HookName } from '../protocol/hooks.ts';
import type { ActionTemplate, CardTemplate } from '../cards/schema.ts';
import type { CompiledExpression } from './fhirpath.ts';
import type { PrefetchAbsence, RuleFile, RuleStatus } from './schema.ts';
import type { ContentProblem } from './source.ts';
import type { ValueSetIndex } from './valuesets.ts';

/** A file a version is made of, by path and the hash of its text (and the text, in memory). */
export interface VersionSource {
  path: string;
  sha256: string;
  text: string;
}

export interface CompiledExpr {
  name: string;
  expression: string;
  run: CompiledExpression;
}

export type CompiledCondition =
  | { kind: 'expr'; expression: string; run: CompiledExpression }
  | { kind: 'all' | 'any'; items: CompiledCondition[] }
  | { kind: 'not'; item: CompiledCondition };

export interface CompiledRule {
  id: string;
  title: string;
  description?: string;
  references: RuleFile['references'];
  /** False for a retired rule: loaded and checked, never evaluated. */
  enabled: boolean;
  /** Lifecycle: active answers, silent is evaluated and recorded only, retired is not evaluated. */
  status: RuleStatus;
  /** An active rule's share of patients (or users), 0-100; the others see it as silent. */
  rollout?: { percent: number; by: 'patient' | 'user' };
  approval?: { by: string; on: string; review?: string };
  /** The author's version label, when the file gives one. */
  authorVersion?: string;
  /** Content version (src/rules/version.ts), set once the whole content has compiled. */
  version: string;
  /** The files the version is made of. */
  sources: VersionSource[];
  /** The file it came from, for logs and authoring output. */
  path: string;
  defines: CompiledExpr[];
  when: CompiledCondition;
  cardId?: string;
  card?: CardTemplate;
  /** Response-level actions, filled with the rule's values. */
  systemActions?: ActionTemplate[];
  values: CompiledExpr[];
}

export interface CompiledService {
  id: string;
  hook: HookName;
  title: string;
  description: string;
  usageRequirements?: string;
  /** The union of the service's and its rules' prefetch templates. */
  prefetch: Record<string, string>;
  /** What the absence of a prefetch key means, where an author said (otherwise `skip`). */
  ifUnavailable: Record<string, PrefetchAbsence>;
  defines: CompiledExpr[];
  rules: CompiledRule[];
  path: string;
  /** The libraries it includes. */
  includes: string[];
  /** Hash of its rules' versions (discovery's `version`), set once the whole content has compiled. */
  version: string;
}

export interface RuleSet {
  services: ReadonlyMap<string, CompiledService>;
  cards: ReadonlyMap<string, CardTemplate>;
  valueSets: ValueSetIndex;
  counts: { services: number; rules: number; cards: number; valueSets: number; libraries: number; dataTables: number };
}

export interface CompileResult {
  ruleSet?: RuleSet;
  /** Rule ids each service folder declares, known even when the content has errors. */
  ruleIds: ReadonlyMap<string, ReadonlySet<string>>;
  /** Errors and warnings; `ruleSet` is present only when there is no error. */
  problems: ContentProblem[];
}
