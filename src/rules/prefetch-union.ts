/**
 * The prefetch templates of one service: its libraries', its own and its rules', merged into one
 * map. Each template is checked as it is added (tokens the hook has, a relative query, a key that
 * does not clash with a context variable or mean two things).
 */
import type { HookName } from '../protocol/hooks.ts';
import { queryProblem, tokenProblem, tokensOf } from '../protocol/prefetch-template.ts';
import type { PrefetchAbsence } from './schema.ts';
import { type ContentProblem, didYouMean, problem, type YamlSource } from './source.ts';

export class PrefetchUnion {
  /** Key -> template, the service's `prefetch` in discovery. */
  readonly templates: Record<string, string> = {};
  /** Key -> what its absence means, where the declaring file said (otherwise skip). */
  readonly ifUnavailable: Record<string, PrefetchAbsence> = {};
  private readonly origin: Record<string, string> = {};

  constructor(
    private readonly hook: HookName,
    private readonly contextNames: readonly string[],
    private readonly problems: ContentProblem[],
  ) {}

  add(src: YamlSource, entries: Record<string, string> | undefined): void {
    for (const [key, template] of Object.entries(entries ?? {})) {
      const path = ['prefetch', key];
      for (const token of tokensOf(template)) {
        const why = tokenProblem(token.name, this.hook);
        if (why) {
          const pos = src.positionInString(path, token.offset);
          this.problems.push(problem(src.path, pos.line, pos.column, why));
        }
      }
      const badQuery = queryProblem(template);
      if (badQuery) this.problems.push(src.problemAt(path, badQuery));
      if (/^(https?:)?\/\//i.test(template) || template.startsWith('/')) {
        this.problems.push(src.problemAt(path, 'a prefetch template must be a relative FHIR query, e.g. Patient/{{context.patientId}}'));
      }
      if (this.contextNames.includes(key) || key === 'context') {
        this.problems.push(src.problemAt(path, `prefetch key '${key}' clashes with the hook's context variable %${key}`, 'error', true));
      }
      if (this.templates[key] !== undefined && this.templates[key] !== template) {
        this.problems.push(src.problemAt(path, `prefetch key '${key}' is already defined differently in ${this.origin[key]}`, 'error', true));
        continue;
      }
      this.templates[key] = template;
      this.origin[key] ??= src.path;
    }
  }

  /** A file's `ifUnavailable`: each key must be one of that same file's prefetch keys. */
  addAbsence(src: YamlSource, own: Record<string, string> | undefined, entries: Record<string, PrefetchAbsence> | undefined): void {
    for (const [key, absence] of Object.entries(entries ?? {})) {
      if (!own || !Object.hasOwn(own, key)) {
        this.problems.push(src.problemAt(['ifUnavailable', key], `ifUnavailable names '${key}', which is not a prefetch key of this file${didYouMean(key, Object.keys(own ?? {}))}`, 'error', true));
      } else if (this.ifUnavailable[key] !== undefined && this.ifUnavailable[key] !== absence) {
        this.problems.push(src.problemAt(['ifUnavailable', key], `prefetch key '${key}' is already '${this.ifUnavailable[key]}' when unavailable in ${this.origin[key]}`));
      } else this.ifUnavailable[key] = absence;
    }
  }
}
