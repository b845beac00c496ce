import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { compileContent } from '../rules/compile.ts';
import { formatProblem } from '../rules/source.ts';
import { functionsNear, isFhirPathFunction } from '../rules/lint.ts';
import { jsonSchemas } from './json-schemas.ts';

describe('editor JSON Schemas', () => {
  it('the committed schemas/ match the loader schemas (run `npm run schemas` after changing them)', () => {
    for (const [file, text] of Object.entries(jsonSchemas())) {
      expect(readFileSync(`schemas/${file}`, 'utf8'), file).toBe(text);
    }
  });

  it('a rule schema knows every rule key and the condition tree', () => {
    const rule = JSON.parse(jsonSchemas()['rule.schema.json']!);
    expect(Object.keys(rule.properties)).toEqual(['id', 'title', 'description', 'references', 'enabled', 'prefetch', 'define', 'when', 'card', 'systemActions', 'with']);
    expect(rule.additionalProperties).toBe(false);
    expect(JSON.stringify(rule.$defs)).toContain('"all"');
  });
});

/** Validates a document with the committed JSON Schema, as an editor would. */
function editorAccepts(file: string, document: unknown): boolean {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.validate(JSON.parse(readFileSync(`schemas/${file}`, 'utf8')), document) as boolean;
}

describe('one source for the loader and the editor (issue 15 item 8)', () => {
  const service = { path: 'rules/svc/service.yaml', text: 'hook: patient-view\ntitle: S\ndescription: D\n' };
  const head = 'id: r\ntitle: R\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "true"\n';

  it('a rule with neither card nor systemActions is refused by both', () => {
    const text = head;
    expect(compileContent([service, { path: 'rules/svc/r.yaml', text }]).problems.map(formatProblem)).toEqual([
      'rules/svc/r.yaml:1:1: card: a rule needs a card, systemActions, or both',
    ]);
    expect(editorAccepts('rule.schema.json', parse(text))).toBe(false);
    expect(editorAccepts('rule.schema.json', parse(`${head}card: hello\n`))).toBe(true);
  });

  it('a delete action with resource: instead of resourceId: is refused by both', () => {
    const card = (action: string) => `summary: S\nindicator: info\nsource:\n  label: T\nsuggestions:\n  - label: Cancel\n    actions:\n      - type: delete\n        description: Cancel\n        ${action}\n`;
    expect(compileContent([{ path: 'cards/c.yaml', text: card('resource: "{{order}}"') }]).problems).toHaveLength(1);
    expect(editorAccepts('card.schema.json', parse(card('resource: "{{order}}"')))).toBe(false);
    expect(editorAccepts('card.schema.json', parse(card('resourceId: "{{order}}"')))).toBe(true);
  });

  it('fields carry descriptions and examples for the editor', () => {
    const rule = JSON.parse(jsonSchemas()['rule.schema.json']!);
    for (const key of Object.keys(rule.properties)) expect(rule.properties[key].description, key).toMatch(/\w/);
    expect(rule.properties.when.examples).toBeDefined();
    const card = JSON.parse(jsonSchemas()['card.schema.json']!);
    for (const key of Object.keys(card.properties)) expect(card.properties[key].description, key).toMatch(/\w/);
    const serviceSchema = JSON.parse(jsonSchemas()['service.schema.json']!);
    for (const key of Object.keys(serviceSchema.properties)) expect(serviceSchema.properties[key].description, key).toMatch(/\w/);
  });
});

describe('the FHIRPath functions the lint knows', () => {
  it('are exactly those of the invocation table of the installed fhirpath.js, asked of fhirpath.js itself', () => {
    const source = readFileSync('node_modules/fhirpath/src/fhirpath.js', 'utf8');
    const table = /engine\.invocationTable = \{([\s\S]*?)\n\};/.exec(source)![1]!;
    const names = [...table.matchAll(/^\s+"?([A-Za-z_]\w*)"?\s*:/gm)].map((m) => m[1]!).filter((n) => n !== 'variadicArity');
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((n) => !isFhirPathFunction(n))).toEqual([]);
    for (const typo of ['exist', 'wehre', 'tostring', 'firstt']) expect(isFhirPathFunction(typo), typo).toBe(false);
    expect(isFhirPathFunction('inValueSet')).toBe(true);
  });

  it('suggest the functions one edit away from a typo', () => {
    expect(functionsNear('exist')).toEqual(['exists']);
    expect(functionsNear('tostring')).toEqual(['toString']);
  });
});
