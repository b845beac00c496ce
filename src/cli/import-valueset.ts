/**
 * `cds-rules import-valueset <file.json>`: adds a FHIR ValueSet (a VSAC expansion, say) to
 * rules/valuesets/, offline, keeping its origin and reporting codes of unknown systems.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { KNOWN_CODE_SYSTEMS } from '../rules/code-systems.ts';
import { conceptsOf, valueSetFileSchema } from '../rules/valuesets.ts';
import { UsageError } from './args.ts';
import { green, println, yellow } from './output.ts';

export async function importValueSet(root: string, file: string, options: { id?: string; force?: boolean }): Promise<number> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    throw new UsageError(`${file} is not a readable JSON file`);
  }
  const record = (json ?? {}) as Record<string, unknown>;
  const id = options.id ?? (typeof record.id === 'string' ? record.id : undefined);
  if (!id || !/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw new UsageError('give the value set an id with --id (letters, digits, - and .)');
  const parsed = valueSetFileSchema.safeParse({ ...record, id });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${file} is not a FHIR ValueSet: ${issue.path.join('.') || 'resource'}: ${issue.message}`);
  }
  const concepts = conceptsOf(parsed.data);
  if (concepts.length === 0) throw new UsageError(`${file} has no codes: expected expansion.contains or compose.include[].concept`);
  const target = join(root, 'rules', 'valuesets', `${id}.json`);
  if (existsSync(target) && !options.force) throw new UsageError(`${target} exists; use --force to replace it`);

  const vs = parsed.data;
  const origin = [
    `Imported from ${basename(file)} on ${new Date().toISOString().slice(0, 10)}`,
    vs.url ? `canonical ${vs.url}` : undefined,
    vs.version ? `version ${vs.version}` : undefined,
    vs.expansion && (vs.expansion as { timestamp?: string }).timestamp ? `expansion ${(vs.expansion as { timestamp?: string }).timestamp}` : undefined,
  ].filter(Boolean);
  const out = {
    resourceType: 'ValueSet',
    id,
    ...(vs.url ? { url: vs.url } : {}),
    ...(vs.name ? { name: vs.name } : {}),
    ...(vs.title ? { title: vs.title } : {}),
    ...(vs.version ? { version: vs.version } : {}),
    status: 'active',
    description: `Origin: ${origin.join(', ')}.${vs.description ? ` ${vs.description}` : ''}`,
    expansion: {
      timestamp: (vs.expansion as { timestamp?: string } | undefined)?.timestamp ?? new Date().toISOString(),
      contains: concepts.map((c) => ({ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) })),
    },
  };
  await mkdir(join(root, 'rules', 'valuesets'), { recursive: true });
  await writeFile(target, `${JSON.stringify(out, null, 2)}\n`);

  const bySystem = new Map<string, number>();
  for (const c of concepts) bySystem.set(c.system, (bySystem.get(c.system) ?? 0) + 1);
  println(green(`wrote ${concepts.length} codes to ${target}`));
  for (const [system, count] of bySystem) {
    const name = Object.hasOwn(KNOWN_CODE_SYSTEMS, system) ? KNOWN_CODE_SYSTEMS[system] : undefined;
    println(name ? `  ${name.padEnd(12)} ${String(count).padStart(6)}  ${system}` : yellow(`  unknown system ${String(count).padStart(6)}  ${system}`));
  }
  const unknown = [...bySystem.keys()].filter((s) => !Object.hasOwn(KNOWN_CODE_SYSTEMS, s));
  if (unknown.length > 0) println(yellow(`${unknown.length} code system(s) not known: check they are what the EHR sends`));
  return 0;
}
