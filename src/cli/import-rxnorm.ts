/**
 * `cds-rules import-rxnorm <release folder>`: refreshes rules/data/rxnorm-products.json from an
 * RxNorm release (its rrf/RXNCONSO.RRF and rrf/RXNREL.RRF, or those files in the folder itself),
 * for the ingredients the current table holds (or those given with --ingredients).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { RrfError, RXNORM_PRODUCTS_TABLE, rxnormTableProblem, tableFile, tableFromRelease, type RxNormProductFile, type RxNormProductTable } from '../rules/rxnorm.ts';
import { UsageError } from './args.ts';
import { eprintln, green, println } from './output.ts';

export async function importRxNorm(root: string, release: string, options: { ingredients?: string; version?: string }): Promise<number> {
  const folder = existsSync(join(release, 'rrf')) ? join(release, 'rrf') : release;
  const conso = join(folder, 'RXNCONSO.RRF');
  const rel = join(folder, 'RXNREL.RRF');
  for (const file of [conso, rel]) if (!existsSync(file)) throw new UsageError(`${file} not found: give the folder of an RxNorm release (with rrf/RXNCONSO.RRF and rrf/RXNREL.RRF)`);
  const target = join(root, 'rules', 'data', `${RXNORM_PRODUCTS_TABLE}.json`);

  let ingredients = (options.ingredients ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ingredients.length === 0 && existsSync(target)) {
    const current = JSON.parse(await readFile(target, 'utf8')) as RxNormProductFile;
    if (!rxnormTableProblem(RXNORM_PRODUCTS_TABLE, current)) ingredients = current.ingredients.map((i) => i.rxcui);
  }
  if (ingredients.some((i) => !/^\d+$/.test(i))) throw new UsageError('--ingredients takes RxCUIs separated by commas (e.g. 11289,7804)');
  const version = options.version ?? basename(resolve(release));

  let table: RxNormProductTable;
  try {
    table = tableFromRelease(await readFile(conso, 'utf8'), await readFile(rel, 'utf8'), version, ingredients);
  } catch (error) {
    if (!(error instanceof RrfError)) throw error;
    eprintln(join(folder, error.message));
    return 1;
  }
  const missing = ingredients.filter((i) => !table.ingredients.some((t) => t.rxcui === i));
  await writeFile(target, `${JSON.stringify(tableFile(table), null, 1)}\n`);
  println(green(`wrote ${target}: ${table.products.length} products of ${table.ingredients.length} ingredients (RxNorm ${version})`));
  if (missing.length > 0) println(`no products found for ingredient(s) ${missing.join(', ')} in this release`);
  println('run cds-rules check: it warns where a value set misses products of an ingredient it covers');
  return 0;
}
