// A throw-away PostgreSQL for the app's tests: initdb in a temporary directory, listening on
// 127.0.0.1 only, on a free port, password authentication. Debian's postgresql package provides
// the binaries (/usr/lib/postgresql/<major>/bin). As root, the server runs as the "postgres" user
// (PostgreSQL refuses to run as root).
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface TempPostgres {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function postgresBinDir(root = '/usr/lib/postgresql'): Promise<string> {
  let majors: string[] = [];
  try {
    majors = (await readdir(root)).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  } catch {
    /* reported below */
  }
  if (!majors.length) {
    throw new Error(
      `PostgreSQL server binaries not found under ${root}: install Debian's package (apt-get install postgresql), or set APP_TEST_DATABASE_URL to an existing database`,
    );
  }
  return path.join(root, majors[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TempPostgresOptions {
  /** Addresses to listen on (default 127.0.0.1 only). */
  listen?: string[];
  /** Extra networks allowed to log in with a password (pg_hba.conf "host" lines). */
  hbaCidrs?: string[];
}

export async function startTempPostgres(opts: TempPostgresOptions = {}): Promise<TempPostgres> {
  const bin = await postgresBinDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'asd-app-pg-'));
  const asRoot = process.getuid?.() === 0;
  let uid = process.getuid?.() ?? 0;
  let gid = process.getgid?.() ?? 0;
  if (asRoot) {
    const id = await execa('id', ['-u', 'postgres'], { reject: false });
    if (id.exitCode !== 0)
      throw new Error(
        'running as root but there is no "postgres" user to run PostgreSQL as (it comes with the postgresql package)',
      );
    uid = Number(id.stdout.trim());
    gid = Number((await execa('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
  }
  await chmod(dir, 0o700);
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execa('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', path.join(bin, cmd), ...args], { cwd: dir })
      : execa(path.join(bin, cmd), args, { cwd: dir });
  const password = randomBytes(18).toString('base64url');
  const pwfile = path.join(dir, 'pw');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (asRoot) await chown(pwfile, uid, gid);
  const data = path.join(dir, 'data');
  await run('initdb', [
    '-D',
    data,
    '-U',
    'app',
    `--pwfile=${pwfile}`,
    '--auth-local=scram-sha-256',
    '--auth-host=scram-sha-256',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  await rm(pwfile);
  if (opts.hbaCidrs?.length) {
    const hba = path.join(data, 'pg_hba.conf');
    const extra = opts.hbaCidrs.map((c) => `host all all ${c} scram-sha-256`).join('\n');
    await writeFile(hba, `${await readFile(hba, 'utf8')}\n${extra}\n`);
  }
  const port = await freePort();
  const listen = (opts.listen ?? ['127.0.0.1']).join(',');
  const serverOpts = `-c listen_addresses=${listen} -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  await run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', serverOpts, '-w', '-t', '60', 'start']);
  // initdb's own "postgres" database is the app's database: the cluster exists for this test run only.
  const url = `postgresql://app:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dir,
    async stop() {
      await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
