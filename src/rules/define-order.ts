/**
 * Define cycles: a define that (indirectly) uses itself would recurse forever at run time, so
 * the compiler refuses it with the chain of names.
 */
import type { ContentProblem, YamlSource } from './source.ts';

/** Reports each define that reaches itself through `refs` (define -> the defines it reads). */
export function reportDefineCycles(source: YamlSource, base: readonly string[], refs: ReadonlyMap<string, readonly string[]>, problems: ContentProblem[]): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      problems.push(source.problemAt([...base, name], `define '${name}' depends on itself: ${[...trail, name].join(' -> ')}`));
      return;
    }
    state.set(name, 'visiting');
    for (const ref of refs.get(name) ?? []) visit(ref, [...trail, name]);
    state.set(name, 'done');
  };
  for (const name of refs.keys()) visit(name, []);
}
