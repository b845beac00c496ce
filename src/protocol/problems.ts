/** Turns zod validation issues into field-named problems for error bodies. */
import type { z } from 'zod';
import type { Problem } from './errors.ts';

/** `['context', 'selections', 0]` → `context.selections[0]`. */
function fieldPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** The first issue as one line, `field: message` (`whole` when it is about the whole value). */
export function firstIssue(error: z.ZodError, whole: string): string {
  const issue = error.issues[0]!;
  return `${fieldPath(issue.path) || whole}: ${issue.message}`;
}

export function zodProblems(error: z.ZodError, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: fieldPath(issue.path, prefix) || undefined, message: `unknown field(s) ${issue.keys.join(', ')}` };
    }
    const field = fieldPath(issue.path, prefix);
    // zod words a missing field as a type mismatch; a client developer wants to hear "required".
    const message = issue.code === 'invalid_type' && / received undefined$/.test(issue.message) ? `is required (${issue.expected})` : issue.message;
    return { field: field || undefined, message, code: 'invalid' as const };
  });
}

/**
 * A setting's value checked against its schema, or an Error whose message starts with `where`
 * and names the first offending field (for start-up errors: trusted clients, admin tokens).
 */
export function parseSetting<S extends z.ZodType>(schema: S, data: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(`${where}: ${firstIssue(parsed.error, 'the value')}`);
  }
  return parsed.data;
}
