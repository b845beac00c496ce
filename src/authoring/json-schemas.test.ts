import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FHIRPATH_FUNCTIONS } from '../rules/lint.ts';
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

describe('the FHIRPath function list the lint uses', () => {
  it('matches the invocation table of the installed fhirpath.js', () => {
    const source = readFileSync('node_modules/fhirpath/src/fhirpath.js', 'utf8');
    const table = /engine\.invocationTable = \{([\s\S]*?)\n\};/.exec(source)![1]!;
    const names = [...table.matchAll(/^\s+"?([A-Za-z_]\w*)"?\s*:/gm)].map((m) => m[1]!);
    const internal = new Set(['variadicArity', 'pathname', 'htmlchecks', 'containsOp', 'inOp', 'isOp', 'asOp', 'mod', 'div', 'or', 'and', 'xor', 'implies']);
    expect([...new Set(names.filter((n) => !internal.has(n)))].sort()).toEqual([...FHIRPATH_FUNCTIONS].sort());
  });
});
