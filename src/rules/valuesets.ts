/**
 * Value sets as files: FHIR ValueSet resources with an expansion (or an enumerated compose),
 * indexed for synchronous membership tests from FHIRPath (`inValueSet('id')`).
 */
import { z } from 'zod';
import { FHIR_ID } from '../protocol/validators.ts';

const containsEntry: z.ZodType<ContainsEntry> = z.lazy(() =>
  z.object({
    system: z.string().min(1).optional(),
    code: z.string().min(1).optional(),
    display: z.string().optional(),
    contains: z.array(containsEntry).optional(),
  }),
);
interface ContainsEntry {
  system?: string;
  code?: string;
  display?: string;
  contains?: ContainsEntry[];
}

export const valueSetFileSchema = z
  .object({
    resourceType: z.literal('ValueSet'),
    id: z.string().regex(FHIR_ID, 'a FHIR id (letters, digits, - and .)'),
    url: z.string().optional(),
    version: z.string().optional(),
    name: z.string().optional(),
    title: z.string().optional(),
    description: z.string().optional(),
    expansion: z.object({ contains: z.array(containsEntry).optional() }).loose().optional(),
    compose: z
      .object({
        include: z.array(
          z
            .object({
              system: z.string().optional(),
              concept: z.array(z.object({ code: z.string(), display: z.string().optional() }).loose()).optional(),
            })
            .loose(),
        ),
      })
      .loose()
      .optional(),
  })
  .loose();

export type ValueSetFile = z.infer<typeof valueSetFileSchema>;

export interface Concept {
  system: string;
  code: string;
  display?: string;
}

/** Every concept a value set file enumerates: its expansion, else its compose's concept lists. */
export function conceptsOf(valueSet: ValueSetFile): Concept[] {
  const out: Concept[] = [];
  const walk = (entries: ContainsEntry[] | undefined) => {
    for (const entry of entries ?? []) {
      if (entry.system && entry.code) out.push({ system: entry.system, code: entry.code, display: entry.display });
      walk(entry.contains);
    }
  };
  walk(valueSet.expansion?.contains);
  if (out.length === 0) {
    for (const include of valueSet.compose?.include ?? []) {
      if (!include.system) continue;
      for (const concept of include.concept ?? []) {
        out.push({ system: include.system, code: concept.code, display: concept.display });
      }
    }
  }
  return out;
}

/** Membership lookups by value set id. */
/** What a value set file says about itself, for the console's catalog. */
export interface ValueSetInfo {
  title?: string;
  url?: string;
  version?: string;
  /** Where the expansion came from (the file's description). */
  origin?: string;
}

export class ValueSetIndex {
  private readonly sets = new Map<string, Set<string>>();
  private readonly infos = new Map<string, ValueSetInfo>();

  add(id: string, concepts: Concept[], info: ValueSetInfo = {}): void {
    this.sets.set(id, new Set(concepts.map((c) => codeKey(c.system, c.code))));
    this.infos.set(id, info);
  }

  info(id: string): ValueSetInfo | undefined {
    return this.infos.get(id);
  }

  has(id: string): boolean {
    return this.sets.has(id);
  }

  ids(): string[] {
    return [...this.sets.keys()];
  }

  size(id: string): number {
    return this.sets.get(id)?.size ?? 0;
  }

  /** Whether the value set holds this system and code. An unknown value set is an error. */
  contains(id: string, system: string, code: string): boolean {
    const set = this.sets.get(id);
    if (!set) throw new Error(`unknown value set '${id}'`);
    return set.has(codeKey(system, code));
  }

  /** The value set's codes as `codeKey`s; undefined for a value set that does not exist. */
  codes(id: string): ReadonlySet<string> | undefined {
    return this.sets.get(id);
  }
}

/** One string for a system and a code, the key value sets and code indexes use. */
export const codeKey = (system: string, code: string) => `${system}|${code}`;
