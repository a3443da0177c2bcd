// Commands on the lab servers for the data module, over SSH (ssh2), with an optional standard
// input: SQL and passwords travel on stdin, never on a command line (which other users of the
// server could read in /proc) nor in a log.
import { serverTarget, sshExec } from '../../tools/ssh.ts';
import type { LabServer } from '../../core/lab-server.ts';

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Quote a string for a POSIX shell. */
import { shq } from '../../tools/shell.ts';

export { shq };

export function remote(
  server: LabServer,
  command: string,
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<RemoteResult> {
  return sshExec(serverTarget(server), command, opts.timeoutMs ?? 120_000, opts.stdin);
}

/** SQL run by the OS user postgres on the server's local socket (peer authentication). */
export async function psqlLocal(
  server: LabServer,
  sql: string,
  opts: { database?: string; port?: number; timeoutMs?: number } = {},
): Promise<RemoteResult> {
  const cmd = `sudo -n -u postgres psql -X -q -At -v ON_ERROR_STOP=1 -p ${opts.port ?? 5432} -d ${shq(opts.database ?? 'postgres')}`;
  return remote(server, cmd, { stdin: sql, timeoutMs: opts.timeoutMs });
}

/** The same, throwing with PostgreSQL's message when it fails; returns the output lines. */
export async function psqlLocalOk(
  server: LabServer,
  sql: string,
  opts: { database?: string; timeoutMs?: number } = {},
): Promise<string[]> {
  const r = await psqlLocal(server, sql, opts);
  if (r.code !== 0) throw new Error(`${server.name}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

export interface ClientLogin {
  /** Where the client runs (a server of the lab). */
  from: LabServer;
  host: string;
  database: string;
  user: string;
  password: string;
  sslmode?: 'verify-full' | 'disable' | 'require';
}

/**
 * A network login as an application role, made from another server of the lab with psql, and
 * one SQL command. The password goes on stdin into PGPASSWORD (environment, not argv).
 */
export function psqlClient(login: ClientLogin, sql: string): Promise<RemoteResult> {
  const conninfo = [
    `host=${login.host}`,
    'port=5432',
    `dbname=${login.database}`,
    `user=${login.user}`,
    `sslmode=${login.sslmode ?? 'verify-full'}`,
    'sslrootcert=/etc/asd-lab/pki/ca.crt',
    'connect_timeout=5',
  ].join(' ');
  const cmd = `IFS= read -r PGPASSWORD; export PGPASSWORD; exec psql -X -q -At -v ON_ERROR_STOP=1 ${shq(conninfo)} -c ${shq(sql)}`;
  return remote(login.from, cmd, { stdin: `${login.password}\n`, timeoutMs: 30_000 });
}
