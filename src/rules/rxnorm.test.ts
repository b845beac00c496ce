import { mkdtemp, mkdir, readFile, cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRxNorm } from '../cli/import-rxnorm.ts';
import { ingredientCoverageGaps, RrfError, RxNormIndex, rxnormTableProblem, tableFile, tableFromRelease } from './rxnorm.ts';

const FIXTURE = 'test/fixtures/rxnorm-mini/rrf';
const conso = await readFile(join(FIXTURE, 'RXNCONSO.RRF'), 'utf8');
const rel = await readFile(join(FIXTURE, 'RXNREL.RRF'), 'utf8');
const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';

describe('tableFromRelease (RXNCONSO.RRF + RXNREL.RRF)', () => {
  const table = tableFromRelease(conso, rel, 'test-2026');

  it('finds the clinical and branded drugs of each ingredient, through SCDC/SCDF and tradename rows', () => {
    expect(table.products).toEqual([
      { rxcui: '198014', name: 'naproxen 500 MG Oral Tablet', tty: 'SCD', ingredients: ['7258'] },
      { rxcui: '855332', name: 'warfarin sodium 5 MG Oral Tablet', tty: 'SCD', ingredients: ['11289'] },
      { rxcui: '855334', name: 'warfarin sodium 5 MG Oral Tablet [Coumadin]', tty: 'SBD', ingredients: ['11289'] },
    ]);
    expect(table.ingredients).toEqual([
      { rxcui: '7258', name: 'naproxen' },
      { rxcui: '11289', name: 'warfarin' },
    ]);
    expect(rxnormTableProblem('rxnorm-products', tableFile(table))).toBeUndefined();
    expect(tableFile(table).products[0]).toBe('198014|SCD|7258|naproxen 500 MG Oral Tablet');
    expect(rxnormTableProblem('rxnorm-products', { ...tableFile(table), products: ['198014|XYZ|7258|x'] })).toMatch(/^products\[0\] is not/);
  });

  it('leaves out suppressed atoms and other sources, and keeps only the ingredients asked for', () => {
    const warfarinOnly = tableFromRelease(conso, rel, 'test-2026', ['11289']);
    expect(warfarinOnly.products.map((p) => p.rxcui)).toEqual(['855332', '855334']);
    expect(warfarinOnly.products.some((p) => p.rxcui === '855290')).toBe(false);
  });

  it('names the file and line of a malformed row', () => {
    expect(() => tableFromRelease(`${conso}broken|row\n`, rel, 'x')).toThrow(new RrfError('RXNCONSO.RRF:13:1: expected 18 \'|\'-separated fields, found 2'));
  });
});

describe('ingredient matching and coverage', () => {
  const index = new RxNormIndex(tableFromRelease(conso, rel, 'test-2026'));

  it('matches a branded product and the ingredient itself, not another ingredient', () => {
    expect(index.hasIngredient('855334', '11289')).toBe(true);
    expect(index.hasIngredient('11289', '11289')).toBe(true);
    expect(index.hasIngredient('198014', '11289')).toBe(false);
    expect(index.hasIngredient('999999', '11289')).toBe(false);
  });

  it('reports a value set holding the generic but not the brand', () => {
    const gaps = ingredientCoverageGaps([{ system: RX, code: '855332' }], index);
    expect(gaps.map((g) => [g.ingredient, g.missing.map((p) => p.rxcui)])).toEqual([['11289', ['855334']]]);
    expect(ingredientCoverageGaps([{ system: RX, code: '855332' }, { system: RX, code: '855334' }], index)).toEqual([]);
  });
});

describe('cds-rules import-rxnorm', () => {
  it('writes rules/data/rxnorm-products.json for the ingredients of the current table', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rxnorm-'));
    await mkdir(join(root, 'rules', 'data'), { recursive: true });
    await writeFile(join(root, 'rules', 'data', 'rxnorm-products.json'), JSON.stringify({ version: 'old', source: 'old', ingredients: [{ rxcui: '7258', name: 'naproxen' }], products: ['198014|SCD|7258|naproxen 500 MG Oral Tablet'] }));
    const release = join(root, 'RxNorm_full_test');
    await cp('test/fixtures/rxnorm-mini', release, { recursive: true });
    expect(await importRxNorm(root, release, {})).toBe(0);
    const written = JSON.parse(await readFile(join(root, 'rules', 'data', 'rxnorm-products.json'), 'utf8'));
    expect(written.version).toBe('RxNorm_full_test');
    expect(written.products).toEqual(['198014|SCD|7258|naproxen 500 MG Oral Tablet']);
    expect(await importRxNorm(root, release, { ingredients: '11289,7258' })).toBe(0);
    const both = JSON.parse(await readFile(join(root, 'rules', 'data', 'rxnorm-products.json'), 'utf8'));
    expect(both.products).toHaveLength(3);
  });
});

describe('cds-rules check: ingredient coverage warning', async () => {
  const { compileContent } = await import('./compile.ts');
  const { formatProblem } = await import('./source.ts');
  const table = tableFromRelease(conso, rel, 'test-2026');
  const valueSet = (extra: object) =>
    JSON.stringify({ resourceType: 'ValueSet', id: 'warfarin', ...extra, expansion: { contains: [{ system: RX, code: '855332', display: 'warfarin sodium 5 MG Oral Tablet' }] } }, null, 2);

  it('warns at the value set when it misses the brand of an ingredient it holds', () => {
    const { problems } = compileContent([
      { path: 'rules/valuesets/warfarin.json', text: valueSet({}) },
      { path: 'rules/data/rxnorm-products.json', text: JSON.stringify(tableFile(table)) },
    ]);
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^rules\/valuesets\/warfarin\.json:\d+:\d+: warning: value set 'warfarin' holds warfarin \(RxNorm 11289\) products but misses 1 more .*855334 warfarin sodium 5 MG Oral Tablet \[Coumadin\]/),
    ]);
  });

  it('is quiet for a set marked intentionally partial', () => {
    const { problems } = compileContent([
      { path: 'rules/valuesets/warfarin.json', text: valueSet({ extension: [{ url: 'urn:cds-rules:ingredient-coverage-intentionally-partial', valueString: 'generics only, for a test' }] }) },
      { path: 'rules/data/rxnorm-products.json', text: JSON.stringify(tableFile(table)) },
    ]);
    expect(problems.map(formatProblem)).toEqual([]);
  });
});
