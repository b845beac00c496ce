/**
 * Medicines matched by RxNorm ingredient: the shipped table rules/data/rxnorm-products.json
 * (products the content needs, each with its ingredient RxCUIs), the `hasIngredient()` lookup,
 * the `check` warning for a value set that misses products of an ingredient it otherwise
 * covers, and the reader of an RxNorm release (RXNCONSO.RRF + RXNREL.RRF) that refreshes the
 * table (`cds-rules import-rxnorm`).
 *
 * Runtime-neutral: no I/O; the CLI reads the files.
 */

export const RXNORM_PRODUCTS_TABLE = 'rxnorm-products';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** Term types the table holds: clinical and branded drugs and packs (RxNorm TTY). */
export const PRODUCT_TTYS = ['SCD', 'SBD', 'GPCK', 'BPCK'] as const;
export type ProductTty = (typeof PRODUCT_TTYS)[number];

export interface RxNormProduct {
  rxcui: string;
  name: string;
  tty: ProductTty;
  /** Ingredient RxCUIs (TTY IN). */
  ingredients: string[];
}
export interface RxNormProductTable {
  version: string;
  source: string;
  ingredients: { rxcui: string; name: string }[];
  products: RxNormProduct[];
}

/**
 * The file form: one string per product, `rxcui|tty|ingredient,ingredient|name` (RxNorm's own
 * RRF style). A row per product keeps the file fast to load: the content loader parses data
 * files with positions for its messages, and an object per product took seconds.
 */
export interface RxNormProductFile {
  version: string;
  source: string;
  ingredients: { rxcui: string; name: string }[];
  products: string[];
}

export function productRow(p: RxNormProduct): string {
  return `${p.rxcui}|${p.tty}|${p.ingredients.join(',')}|${p.name}`;
}

function parseRow(row: string): RxNormProduct | undefined {
  const m = /^(\d+)\|(SCD|SBD|GPCK|BPCK)\|(\d+(?:,\d+)*)\|(.+)$/.exec(row);
  return m ? { rxcui: m[1]!, tty: m[2] as ProductTty, ingredients: m[3]!.split(','), name: m[4]! } : undefined;
}

/** The table as it is written to rules/data/rxnorm-products.json. */
export function tableFile(table: RxNormProductTable): RxNormProductFile {
  return { version: table.version, source: table.source, ingredients: table.ingredients, products: table.products.map(productRow) };
}

/** Why a value cannot be the rxnorm-products table, or undefined when it has the right shape. */
export function rxnormTableProblem(name: string, value: unknown): string | undefined {
  if (name !== RXNORM_PRODUCTS_TABLE) return undefined;
  const v = value as Partial<RxNormProductFile> | null;
  if (typeof v?.version !== 'string' || typeof v.source !== 'string') return "expected 'version' and 'source' (strings: the RxNorm release and where the rows come from)";
  if (!Array.isArray(v.ingredients) || !v.ingredients.every((i) => typeof i?.rxcui === 'string' && typeof i?.name === 'string')) {
    return "expected 'ingredients': an array of { rxcui, name }";
  }
  if (!Array.isArray(v.products)) return "expected 'products': an array of 'rxcui|tty|ingredient,ingredient|name' rows";
  const bad = v.products.findIndex((p) => typeof p !== 'string' || !parseRow(p));
  return bad >= 0 ? `products[${bad}] is not 'rxcui|tty|ingredient,ingredient|name' (tty one of ${PRODUCT_TTYS.join(', ')})` : undefined;
}

/** The table indexed by product and by ingredient. */
export class RxNormIndex {
  private readonly byProduct = new Map<string, RxNormProduct>();
  private readonly ingredientNames = new Map<string, string>();

  constructor(table: RxNormProductTable) {
    for (const p of table.products) this.byProduct.set(p.rxcui, p);
    for (const i of table.ingredients) this.ingredientNames.set(i.rxcui, i.name);
  }

  product(rxcui: string): RxNormProduct | undefined {
    return this.byProduct.get(rxcui);
  }

  ingredientName(rxcui: string): string | undefined {
    return this.ingredientNames.get(rxcui);
  }

  /** Whether an RxNorm code is the ingredient itself or a product that contains it. */
  hasIngredient(rxcui: string, ingredient: string): boolean {
    if (rxcui === ingredient) return this.ingredientNames.has(ingredient);
    return this.byProduct.get(rxcui)?.ingredients.includes(ingredient) ?? false;
  }

  products(): IterableIterator<RxNormProduct> {
    return this.byProduct.values();
  }

  /** Every RxNorm code `hasIngredient(code, ingredient)` is true for. */
  codesWithIngredient(ingredient: string): string[] {
    const codes = this.ingredientNames.has(ingredient) ? [ingredient] : [];
    for (const p of this.byProduct.values()) if (p.rxcui !== ingredient && p.ingredients.includes(ingredient)) codes.push(p.rxcui);
    return codes;
  }
}

export function rxnormIndex(data: ReadonlyMap<string, unknown>): RxNormIndex | undefined {
  const file = data.get(RXNORM_PRODUCTS_TABLE);
  if (file === undefined || rxnormTableProblem(RXNORM_PRODUCTS_TABLE, file)) return undefined;
  const f = file as RxNormProductFile;
  return new RxNormIndex({ ...f, products: f.products.map((row) => parseRow(row)!) });
}

/**
 * A value set that holds products of one ingredient (single-ingredient products) but misses
 * others of that ingredient the table lists: the warning `check` gives, one per ingredient.
 * A value set that leaves products out on purpose (systemic forms only, say) says so with the
 * extension INTENTIONALLY_PARTIAL, and gets no warning.
 */
export const INTENTIONALLY_PARTIAL = 'urn:cds-rules:ingredient-coverage-intentionally-partial';

export interface CoverageGap {
  ingredient: string;
  ingredientName: string;
  missing: RxNormProduct[];
}

export function ingredientCoverageGaps(codes: readonly { system: string; code: string }[], index: RxNormIndex): CoverageGap[] {
  const inSet = new Set(codes.filter((c) => c.system === RXNORM).map((c) => c.code));
  const covered = new Set<string>();
  for (const code of inSet) {
    const p = index.product(code);
    if (p && singleIngredient(p)) covered.add(p.ingredients[0]!);
  }
  const gaps: CoverageGap[] = [];
  for (const ingredient of covered) {
    const missing = [...index.products()].filter((p) => singleIngredient(p) && p.ingredients[0] === ingredient && !inSet.has(p.rxcui));
    if (missing.length > 0) gaps.push({ ingredient, ingredientName: index.ingredientName(ingredient) ?? ingredient, missing });
  }
  return gaps.sort((a, b) => a.ingredientName.localeCompare(b.ingredientName));
}

/** One ingredient by the table and by its RxNorm name (a combination's name joins its parts with ' / '). */
function singleIngredient(p: RxNormProduct): boolean {
  return p.ingredients.length === 1 && !p.name.includes(' / ');
}

export function describeGap(gap: CoverageGap): string {
  const examples = gap.missing.slice(0, 3).map((p) => `${p.rxcui} ${p.name}`).join('; ');
  return `holds ${gap.ingredientName} (RxNorm ${gap.ingredient}) products but misses ${gap.missing.length} more in rules/data/${RXNORM_PRODUCTS_TABLE}.json (${examples}${gap.missing.length > 3 ? '; ...' : ''}); add them, or mark the set with the extension ${INTENTIONALLY_PARTIAL} and say why`;
}

// --- reading an RxNorm release -------------------------------------------------------------

/** A problem in a release file: which file, which line, what is wrong. */
export class RrfError extends Error {}

interface Concept {
  rxcui: string;
  tty: string;
  name: string;
}

/**
 * Builds the table from RXNCONSO.RRF and RXNREL.RRF text (pipe-delimited, as NLM ships them),
 * for the ingredients asked for (all when none). Only SAB=RXNORM rows count; suppressed (O, Y,
 * E) atoms are left out. A product's ingredients follow RxNorm's structure, read by term type
 * (so the direction of each relationship row does not matter): SCD - SCDC or SCDF - IN;
 * SBD - SCD; GPCK - SCD; BPCK - SCD, SBD or GPCK.
 */
export function tableFromRelease(conso: string, rel: string, version: string, onlyIngredients: readonly string[] = []): RxNormProductTable {
  const concepts = new Map<string, Concept>();
  lines(conso, 'RXNCONSO.RRF', 18, (f) => {
    const [rxcui, lat, , , , , , , , , , sab, tty, , str, , suppress] = f;
    if (sab !== 'RXNORM' || lat !== 'ENG' || (suppress !== 'N' && suppress !== '')) return;
    if (!['IN', 'SCDC', 'SCDF', ...PRODUCT_TTYS].includes(tty!)) return;
    // One name per concept: the RxNorm normalised name of that term type.
    if (!concepts.has(rxcui!)) concepts.set(rxcui!, { rxcui: rxcui!, tty: tty!, name: str! });
  });
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  lines(rel, 'RXNREL.RRF', 16, (f) => {
    const [rxcui1, , stype1, , rxcui2, , stype2, , , , sab] = f;
    if (sab !== 'RXNORM' || stype1 !== 'CUI' || stype2 !== 'CUI') return;
    if (!concepts.has(rxcui1!) || !concepts.has(rxcui2!)) return;
    link(rxcui1!, rxcui2!);
    link(rxcui2!, rxcui1!);
  });
  const ofType = (rxcui: string, ttys: string[]) => [...(neighbours.get(rxcui) ?? [])].filter((n) => ttys.includes(concepts.get(n)!.tty));
  const ingredientsOf = (rxcui: string): string[] => {
    const tty = concepts.get(rxcui)!.tty;
    let scds: string[] = [];
    if (tty === 'SCD') scds = [rxcui];
    else if (tty === 'SBD' || tty === 'GPCK') scds = ofType(rxcui, ['SCD']);
    else if (tty === 'BPCK') {
      const parts = ofType(rxcui, ['SCD', 'SBD', 'GPCK']);
      return [...new Set(parts.flatMap((p) => (p === rxcui ? [] : ingredientsOf(p))))];
    }
    const viaComponents = scds.flatMap((scd) => ofType(scd, ['SCDC', 'SCDF'])).flatMap((c) => ofType(c, ['IN']));
    return [...new Set(viaComponents)].sort();
  };
  const wanted = new Set(onlyIngredients);
  const products: RxNormProduct[] = [];
  for (const c of concepts.values()) {
    if (!(PRODUCT_TTYS as readonly string[]).includes(c.tty)) continue;
    const ingredients = ingredientsOf(c.rxcui);
    if (ingredients.length === 0) continue;
    if (wanted.size > 0 && !ingredients.some((i) => wanted.has(i))) continue;
    products.push({ rxcui: c.rxcui, name: c.name, tty: c.tty as ProductTty, ingredients });
  }
  const used = new Set(products.flatMap((p) => p.ingredients));
  const ingredients = [...concepts.values()].filter((c) => c.tty === 'IN' && used.has(c.rxcui)).map((c) => ({ rxcui: c.rxcui, name: c.name }));
  return {
    version,
    source: `RxNorm release ${version}: RXNCONSO.RRF and RXNREL.RRF (SAB=RXNORM), read by cds-rules import-rxnorm`,
    ingredients: ingredients.sort((a, b) => a.name.localeCompare(b.name)),
    products: products.sort((a, b) => a.name.localeCompare(b.name) || a.rxcui.localeCompare(b.rxcui)),
  };
}

function lines(text: string, file: string, fields: number, each: (fields: string[]) => void): void {
  text.split(/\r?\n/).forEach((line, i) => {
    if (line === '') return;
    const f = line.split('|');
    if (f.length < fields) throw new RrfError(`${file}:${i + 1}:1: expected ${fields} '|'-separated fields, found ${f.length}`);
    each(f);
  });
}
