/**
 * `cds-rules`: the authoring command line (check, test, new, preview, import-valueset, import-rxnorm, schemas).
 * Exit codes: 0 fine, 1 problems found or tests failed, 2 the command itself was wrong.
 */
import { parseArgs, stringOption, UsageError } from './args.ts';
import { eprintln, println } from './output.ts';

// Each command imports its own modules when it runs (the compiler, fhirpath, zod, medplum's
// FHIR router for tests and preview): importing them all up front cost every command, even
// --help, about a second under tsx. Measured with `time node bin/cds-rules.mjs --help`.

// `cds-rules preview ... | head`: the reader left; stop quietly, as other Unix tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const USAGE = `usage: cds-rules <command> [options]

  check [dir] [--strict]               validate services, rules, cards, value sets and tests;
                                       --strict also refuses an active rule without approval
  test [dir] [--rule <id>]             run the rules' example patients
  new <service>/<rule> [--hook <hook>] [--dir <dir>]
                                       scaffold a rule, its card and its test
  preview <file> [--service <id>] [--case <text>] [--why <rule>] [--dir <dir>]
                                       the cards a hook request, a patient Bundle or a rule test gets;
                                       --why prints why that rule fired or stayed quiet
  import-valueset <file.json> [--id <id>] [--force] [--dir <dir>]
                                       add a FHIR ValueSet (e.g. a VSAC expansion) to rules/valuesets/
  import-rxnorm <release dir> [--ingredients <rxcui,...>] [--version <v>] [--dir <dir>]
                                       refresh rules/data/rxnorm-products.json from RXNCONSO.RRF/RXNREL.RRF
  schemas [--out <dir>]                write the editor JSON Schemas (default schemas/)
  replay [--since 7d] [--service <id>] [--content <dir>] [--db <path|postgres-url>] [--json]
                                       run recorded calls (CDS_STORE_PAYLOADS=true) against the
                                       content: per rule, cards added, removed and changed
  stats [--since 30d] [--service <id>] [--recent 7d] [--db <path|postgres-url>] [--json]
                                       per-rule calls, firing, silent, acceptance, override
                                       reasons, time to feedback, and firing-rate alarms

[dir] and --dir name the folder holding rules/ and cards/ (default: the current folder).`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = parseArgs(rest, ['hook', 'dir', 'service', 'case', 'id', 'out', 'rule', 'why', 'ingredients', 'version', 'since', 'content', 'db', 'recent']);
  const dir = stringOption(args, 'dir');
  switch (command) {
    case 'check':
      return (await import('./check.ts')).check(args.positionals[0] ?? dir ?? '.', args.options.strict === true);
    case 'test':
      return (await import('./test.ts')).test(args.positionals[0] ?? dir ?? '.', stringOption(args, 'rule'));
    case 'new':
      if (!args.positionals[0]) throw new UsageError('new needs <service>/<rule>');
      return (await import('./new.ts')).scaffold(dir ?? '.', args.positionals[0], stringOption(args, 'hook'));
    case 'preview':
      if (!args.positionals[0]) throw new UsageError('preview needs a file');
      return (await import('./preview.ts')).preview(dir ?? '.', args.positionals[0], { service: stringOption(args, 'service'), case: stringOption(args, 'case'), why: stringOption(args, 'why') });
    case 'import-valueset':
      if (!args.positionals[0]) throw new UsageError('import-valueset needs a file');
      return (await import('./import-valueset.ts')).importValueSet(dir ?? '.', args.positionals[0], { id: stringOption(args, 'id'), force: args.options.force === true });
    case 'import-rxnorm':
      if (!args.positionals[0]) throw new UsageError('import-rxnorm needs the folder of an RxNorm release');
      return (await import('./import-rxnorm.ts')).importRxNorm(dir ?? '.', args.positionals[0], { ingredients: stringOption(args, 'ingredients'), version: stringOption(args, 'version') });
    // Loaded on use: the database side (SQLite, drizzle, diff) would slow every other command's start.
    case 'replay':
      return (await import('./replay.ts')).replayCommand({
        since: stringOption(args, 'since'),
        service: stringOption(args, 'service'),
        content: stringOption(args, 'content') ?? dir,
        db: stringOption(args, 'db'),
        json: args.options.json === true,
      });
    case 'stats':
      return (await import('./stats.ts')).statsCommand({
        since: stringOption(args, 'since'),
        recent: stringOption(args, 'recent'),
        service: stringOption(args, 'service'),
        db: stringOption(args, 'db'),
        json: args.options.json === true,
      });
    case 'schemas':
      return (await import('./schemas.ts')).writeSchemas(stringOption(args, 'out') ?? 'schemas');
    case undefined:
    case 'help':
    case '--help':
      println(USAGE);
      return command ? 0 : 2;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  eprintln(`cds-rules: ${error.message}`);
  eprintln(USAGE);
  process.exitCode = 2;
}
