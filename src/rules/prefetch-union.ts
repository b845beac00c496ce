/**
 * The prefetch templates of one service: its libraries', its own and its rules', merged into one
 * map. Each template is checked as it is added (tokens the hook has, a relative query, a key that
 * does not clash with a context variable or mean two things).
 */
import type { HookName } from '../protocol/hooks.ts';
import { tokenProblem, tokensOf } from '../protocol/prefetch-template.ts';
import { type ContentProblem, problem, type YamlSource } from './source.ts';

export class PrefetchUnion {
  /** Key -> template, the service's `prefetch` in discovery. */
  readonly templates: Record<string, string> = {};
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
}
