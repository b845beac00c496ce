/**
 * The editor JSON Schemas, generated from the very zod schemas the loader validates with, so the
 * editor and the service can never disagree. `cds-rules schemas` writes them to schemas/.
 */
import { z } from 'zod';
import { cardTemplateSchema } from '../cards/schema.ts';
import { libraryFileSchema, ruleFileSchema, serviceFileSchema } from '../rules/schema.ts';
import { valueSetFileSchema } from '../rules/valuesets.ts';
import { testFileSchema } from './rule-tests.ts';

const SCHEMAS = {
  'service.schema.json': [serviceFileSchema, 'CDS service (rules/<service>/service.yaml)'],
  'rule.schema.json': [ruleFileSchema, 'Rule (rules/<service>/<rule>.yaml)'],
  'library.schema.json': [libraryFileSchema, 'Library of shared prefetch and defines (rules/libraries/<name>.yaml)'],
  'card.schema.json': [cardTemplateSchema, 'Card template (cards/<card>.yaml)'],
  'valueset.schema.json': [valueSetFileSchema, 'Value set (rules/valuesets/<id>.json): a FHIR ValueSet with an expansion'],
  'test.schema.json': [testFileSchema, 'Rule test (rules/<service>/<rule>.test.yaml)'],
} as const;

/** File name → JSON text, as committed under schemas/. */
export function jsonSchemas(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SCHEMAS).map(([file, [schema, title]]) => {
      const json = { ...z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }), title };
      return [file, `${JSON.stringify(json, null, 2)}\n`];
    }),
  );
}
