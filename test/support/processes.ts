/** Starting real processes for tests: the FHIR server and the service itself. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Started {
  child: ChildProcess;
  port: number;
  /** Every stdout and stderr line so far. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns `tsx <script>` and resolves once a stdout line yields a port (via `portOf`).
 */
export function startProcess(
  script: string,
  env: Record<string, string>,
  portOf: (line: string) => number | undefined,
  timeoutMs = 30_000,
): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output.join('\n')}`)), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output.join('\n')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const port = portOf(line);
      if (port) {
        clearTimeout(timer);
        resolve({ child, port, output, stop });
      }
    });
  });
}

const jsonPort = (key: string) => (line: string) => {
  try {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    return typeof parsed[key] === 'number' && parsed[key] > 0 ? (parsed[key] as number) : undefined;
  } catch {
    return undefined;
  }
};

export const startFhirServer = (env: Record<string, string> = {}) =>
  startProcess('test/support/fhir-server.ts', env, jsonPort('port'));

/** A FHIR server process serving only these resources (each needs resourceType and id), no Synthea; `env` for its other knobs. */
export function startFhirServerWith(resources: readonly ({ resourceType: string; id: string } & Record<string, unknown>)[], env: Record<string, string> = {}) {
  const file = join(mkdtempSync(join(tmpdir(), 'fhir-resources-')), 'resources.json');
  const entry = resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
  writeFileSync(file, JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }));
  return startFhirServer({ ...env, FHIR_SYNTHEA: 'false', FHIR_BUNDLES: file });
}

/** Runs a command to completion, collecting its output. */
export function runToEnd(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export { jsonPort };
