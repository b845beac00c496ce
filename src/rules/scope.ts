/**
 * The `%variables` an expression may read at one place (context fields, prefetch keys, defines),
 * each with its type when it can be inferred, for the compiler's name and type checks.
 */
import type { ParsedFhirPath } from './fhirpath-ast.ts';
import { type Inferred, inferType, type TypeEnv } from './fhirpath-types.ts';

export class Scope implements TypeEnv {
  private constructor(private readonly types: ReadonlyMap<string, () => Inferred>) {}

  static of(entries: Iterable<readonly [string, () => Inferred]>): Scope {
    return new Scope(new Map(entries));
  }

  /** This scope with more names (a later entry of the same name wins). */
  extend(entries: Iterable<readonly [string, () => Inferred]>): Scope {
    return new Scope(new Map([...this.types, ...entries]));
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  get names(): string[] {
    return [...this.types.keys()];
  }

  typeOf(name: string): Inferred {
    return this.types.get(name)?.();
  }
}

/**
 * Type thunks for defines: each infers its expression's type on first use, in the scope that
 * holds the defines (so one define may read another). A define that reaches itself, or does
 * not parse, has an unknown type; its own problem is reported where it is compiled.
 */
export function defineTypes(defines: Record<string, string>, scope: () => Scope, parse: (expression: string) => ParsedFhirPath): [string, () => Inferred][] {
  return Object.entries(defines).map(([name, expression]) => {
    let state: 'new' | 'busy' | 'done' = 'new';
    let type: Inferred;
    return [
      name,
      () => {
        if (state === 'done') return type;
        if (state === 'busy') return undefined;
        state = 'busy';
        try {
          type = inferType(parse(expression).root, scope());
        } catch {
          type = undefined;
        }
        state = 'done';
        return type;
      },
    ];
  });
}

export const unknownType = (): Inferred => undefined;
