import { describe, expect, it } from 'vitest';
import { compileContent } from './compile.ts';
import { formatProblem, strictJson } from './source.ts';

describe('strictJson: the fast way for plain JSON', () => {
  it('reads plain JSON, keys inside strings included', () => {
    const text = JSON.stringify({ a: 'x": 1, "y', b: [{ 'c\\"': '\\', d: null }], e: { f: 'g:' } });
    expect(strictJson(text)).toEqual({ value: JSON.parse(text) });
  });

  it('refuses what the YAML parser would report: repeated keys, and text that is not JSON', () => {
    expect(strictJson('{"a": 1, "b": {"c": 2, "c": 3}}')).toBeUndefined();
    expect(strictJson('{"a": 1,}')).toBeUndefined();
    expect(strictJson('a: 1')).toBeUndefined();
  });
});

describe('value set files read the fast way still report problems with their position', () => {
  const compile = (text: string) => compileContent([{ path: 'rules/valuesets/vs.json', text }]).problems.map(formatProblem);

  it('a repeated key', () => {
    expect(compile('{\n  "resourceType": "ValueSet",\n  "id": "vs",\n  "id": "vs"\n}')).toEqual([
      expect.stringMatching(/^rules\/valuesets\/vs\.json:4:3: YAML syntax: Map keys must be unique/),
    ]);
  });

  it('a schema problem deep inside', () => {
    const text = JSON.stringify({ resourceType: 'ValueSet', id: 'vs', expansion: { contains: [{ system: 's', code: 'c' }, { system: 's', code: 7 }] } }, null, 2);
    expect(compile(text)).toEqual([expect.stringMatching(/^rules\/valuesets\/vs\.json:12:17: expansion\.contains\.1\.code: /)]);
  });
});
