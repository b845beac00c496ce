/**
 * `cds-rules`: the authoring command line (check, test, new, preview, import-valueset, schemas).
 * Exit codes: 0 fine, 1 problems found or tests failed, 2 the command itself was wrong.
 */
import { parseArgs, stringOption, UsageError } from './args.ts';
import { check } from './check.ts';
import { importValueSet } from './import-valueset.ts';
import { scaffold } from './new.ts';
import { eprintln, println } from './output.ts';
import { preview } from './preview.ts';
import { writeSchemas } from './schemas.ts';
import { test } from './test.ts';

const USAGE = `usage: cds-rules <command> [options]

  check [dir]                          validate services, rules, cards, value sets and tests
  test [dir] [--rule <id>]             run the rules' example patients
  new <service>/<rule> [--hook <hook>] [--dir <dir>]
                                       scaffold a rule, its card and its test
  preview <file> [--service <id>] [--case <text>] [--why <rule>] [--dir <dir>]
                                       the cards a hook request, a patient Bundle or a rule test gets;
                                       --why prints why that rule fired or stayed quiet
  import-valueset <file.json> [--id <id>] [--force] [--dir <dir>]
                                       add a FHIR ValueSet (e.g. a VSAC expansion) to rules/valuesets/
  schemas [--out <dir>]                write the editor JSON Schemas (default schemas/)

[dir] and --dir name the folder holding rules/ and cards/ (default: the current folder).`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = parseArgs(rest, ['hook', 'dir', 'service', 'case', 'id', 'out', 'rule', 'why']);
  const dir = stringOption(args, 'dir');
  switch (command) {
    case 'check':
      return check(args.positionals[0] ?? dir ?? '.');
    case 'test':
      return test(args.positionals[0] ?? dir ?? '.', stringOption(args, 'rule'));
    case 'new':
      if (!args.positionals[0]) throw new UsageError('new needs <service>/<rule>');
      return scaffold(dir ?? '.', args.positionals[0], stringOption(args, 'hook'));
    case 'preview':
      if (!args.positionals[0]) throw new UsageError('preview needs a file');
      return preview(dir ?? '.', args.positionals[0], { service: stringOption(args, 'service'), case: stringOption(args, 'case'), why: stringOption(args, 'why') });
    case 'import-valueset':
      if (!args.positionals[0]) throw new UsageError('import-valueset needs a file');
      return importValueSet(dir ?? '.', args.positionals[0], { id: stringOption(args, 'id'), force: args.options.force === true });
    case 'schemas':
      return writeSchemas(stringOption(args, 'out') ?? 'schemas');
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
