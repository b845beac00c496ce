/**
 * A real PostgreSQL server for tests: initdb into a temporary folder, listening on 127.0.0.1 on
 * a free port (PostgreSQL cannot take port 0, so one is asked of the kernel and retried if taken
 * meanwhile), its unix socket in that folder, trust authentication for the one local user.
 * initdb and postgres refuse to run as root, so under root (CI containers) they run as the
 * `postgres` user the Debian package creates, through runuser. The binaries are PostgreSQL's
 * (`pg_config --bindir`, /usr/lib/postgresql/<newest>/bin, or PATH): `.ci/run` installs them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  port: number;
  /** URL of a database on this server (the superuser `cds`, no password: trust on loopback). */
  url(database?: string): string;
  /** A fresh, empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

const USER = 'cds';

function binDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'initdb'))) return dir;
  } catch {
    // not on PATH: look where Debian puts the server
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb'))) return dir;
  throw new Error('PostgreSQL server binaries not found (initdb, postgres): apt-get install -y postgresql (.ci/run does)');
}

/** Under root, the command runs as the `postgres` user; otherwise as we are. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

function serverUserIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitReady(port: number, child: ChildProcess, output: string[], timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`postgres exited:\n${output.join('')}`);
    const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > until) throw new Error(`postgres did not accept connections on ${port}:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'cds-pg-'));
  const data = join(dir, 'data');
  const owner = serverUserIds();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const [initdb, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', USER, '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  execFileSync(initdb, initArgs, { stdio: 'pipe' });

  let child: ChildProcess | undefined;
  let port = 0;
  let exited: Promise<void> = Promise.resolve();
  const launch = async (fixedPort?: number) => {
    for (let attempt = 0; ; attempt++) {
      port = fixedPort ?? (await freePort());
      const output: string[] = [];
      const [postgres, args] = asServerUser(join(bin, 'postgres'), [
        '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
      ]);
      const started = spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      started.stdout!.on('data', (b: Buffer) => output.push(b.toString()));
      started.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
      exited = new Promise((resolve) => started.once('exit', () => resolve()));
      try {
        await waitReady(port, started, output);
        child = started;
        return;
      } catch (error) {
        started.kill('SIGKILL');
        await exited;
        // The port was taken between asking and binding: ask again (a fixed port is kept).
        if (fixedPort !== undefined || attempt >= 4 || !output.join('').includes('could not')) throw error;
      }
    }
  };
  const stop = async () => {
    if (!child) return;
    const [pgCtl, args] = asServerUser(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
    try {
      execFileSync(pgCtl, args, { stdio: 'pipe' });
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
    child = undefined;
  };
  await launch();

  const url = (database = 'postgres') => `postgres://${USER}@127.0.0.1:${port}/${database}`;
  let made = 0;
  return {
    get port() {
      return port;
    },
    url,
    async createDatabase(name = `cds_${process.pid}_${++made}_${Date.now()}`) {
      const admin = new pg.Client({ connectionString: url() });
      await admin.connect();
      try {
        await admin.query(`create database "${name}"`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop,
    start: () => launch(port),
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
