/** A small argument parser: positionals and `--name value` / `--flag` options. */
export class UsageError extends Error {}

export interface Args {
  positionals: string[];
  options: Record<string, string | true>;
}

export function parseArgs(argv: string[], valued: readonly string[]): Args {
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string?];
    if (valued.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      options[name] = value;
    } else {
      options[name] = true;
    }
  }
  return { positionals, options };
}

export function stringOption(args: Args, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : undefined;
}
