import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
