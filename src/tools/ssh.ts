// SSH from the checks and the modules' operations: run a command, or prove that a login is refused.
// Built on ssh2 so that each check sees the server's real answer (which methods it offers, whether
// auth failed). Every connection checks the server's host key against the keys recorded when the
// server was created (its known_host_keys file): a changed key is refused, never trusted.
//
// Inside `withSshPool` (what `verify` does per candidate), commands to the same server share one
// connection, at most MAX_CHANNELS at a time on it; outside, each command opens its own connection
// and closes it.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import { AsdError, isNotFound } from '../core/errors.ts';
import { t } from '../core/i18n/index.ts';
import type { LabServer } from '../core/lab-server.ts';
import { recordedHostKeys } from './known-hosts.ts';

export interface SshTarget {
  host: string;
  port?: number;
  user: string;
  /** Private key file; omit to try other methods. */
  keyPath?: string;
  /** Reach the target through this jump host (ssh -J): a direct-tcpip channel opened on it. */
  jump?: SshTarget;
  /** known_hosts lines of the server's own host keys (recorded at creation): the only keys accepted. */
  knownHostsFile?: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How a lab server is reached: its address, the lab key, and the host keys recorded at its creation. */
export function serverTarget(s: LabServer): SshTarget {
  return {
    host: s.address,
    port: s.sshPort,
    user: s.user,
    keyPath: s.keyPath,
    ...(s.knownHostsFile ? { knownHostsFile: s.knownHostsFile } : {}),
    ...(s.jump ? { jump: { ...s.jump } } : {}),
  };
}

const TIMEOUT_MS = 15_000;

/**
 * Sessions open at once on one connection: the lab's sshd allows `MaxSessions 2` (ansible role ssh,
 * ssh_max_sessions); further commands wait for a free one.
 */
export const MAX_CHANNELS = 2;

/** The server's host key is not the one recorded, or none is recorded: nothing was run there. */
export class HostKeyError extends AsdError {}

/** SHA256 fingerprint of a host key blob, as `ssh-keygen -l` prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The host key blobs a known_hosts text accepts for a host: plain and hashed entries, as ssh writes them. */
export function knownKeys(text: string, host: string, port = 22): Buffer[] {
  return recordedHostKeys(text, host, port).map((k) => Buffer.from(k.split(' ')[1]!, 'base64'));
}

function readKnownKeys(target: SshTarget): Buffer[] {
  const where = `${target.user}@${target.host}:${target.port ?? 22}`;
  if (!target.knownHostsFile) throw new HostKeyError(t('ssh.noKnownHosts', { server: where }));
  let text: string;
  try {
    text = readFileSync(target.knownHostsFile, 'utf8');
  } catch (err) {
    if (isNotFound(err)) throw new HostKeyError(t('ssh.knownHostsMissing', { server: where, file: target.knownHostsFile }));
    throw err;
  }
  const keys = knownKeys(text, target.host, target.port ?? 22);
  if (keys.length === 0)
    throw new HostKeyError(t('ssh.knownHostsNoKey', { server: where, file: target.knownHostsFile, host: target.host }));
  return keys;
}

async function connect(target: SshTarget, extra: Partial<ssh2.ConnectConfig> = {}): Promise<ssh2.Client> {
  if (!target.jump) return connectDirect(target, extra);
  const jump = await connect(target.jump);
  const sock = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    jump.forwardOut('127.0.0.1', 0, target.host, target.port ?? 22, (err, ch) => (err ? reject(err) : resolve(ch))),
  ).catch((err: unknown) => {
    jump.end();
    throw err;
  });
  const client = await connectDirect(target, { ...extra, sock }).catch((err: unknown) => {
    jump.end();
    throw err;
  });
  client.on('close', () => jump.end());
  return client;
}

function connectDirect(target: SshTarget, extra: Partial<ssh2.ConnectConfig> = {}): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    let keys: Buffer[];
    try {
      keys = readKnownKeys(target);
    } catch (err) {
      reject(err);
      return;
    }
    let presented: Buffer | undefined;
    const client = new ssh2.Client();
    client
      .on('ready', () => resolve(client))
      .on('error', (err) => {
        if (presented && !keys.some((k) => k.equals(presented!))) {
          reject(
            new HostKeyError(
              t('ssh.hostKeyChanged', {
                server: `${target.host}:${target.port ?? 22}`,
                fingerprint: fingerprint(presented),
                file: target.knownHostsFile ?? '',
              }),
              { cause: err },
            ),
          );
        } else reject(err);
      })
      .connect({
        host: target.host,
        port: target.port ?? 22,
        username: target.user,
        privateKey: target.keyPath ? readFileSync(target.keyPath) : undefined,
        readyTimeout: TIMEOUT_MS,
        hostVerifier: (key: Buffer) => {
          presented = Buffer.from(key);
          return keys.some((k) => k.equals(presented!));
        },
        ...extra,
      });
  });
}

/** One command on an open connection: its output and exit code, bounded by `timeoutMs`. */
function execOn(
  client: ssh2.Client,
  target: SshTarget,
  command: string,
  timeoutMs: number,
  stdin: string | undefined,
): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve, reject) => {
    let channel: ssh2.ClientChannel | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      // Only this command's session is closed: the connection stays for the other checks.
      timedOut = true;
      channel?.close();
      reject(new Error(`ssh ${target.host}: "${command.slice(0, 80)}" timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    client.exec(command, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      channel = stream;
      if (timedOut) {
        stream.close();
        return;
      }
      let stdout = '';
      let stderr = '';
      stream.on('data', (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      stream.on('close', (code: number | null) => {
        clearTimeout(timer);
        resolve({ code: code ?? 255, stdout, stderr });
      });
      if (stdin !== undefined) stream.end(stdin);
      else stream.end();
    });
  });
}

/** A FIFO of at most `limit` holders. */
class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async take(): Promise<void> {
    if (this.busy < this.limit) {
      this.busy++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy--;
  }
}

interface Pooled {
  client: Promise<ssh2.Client>;
  slots: Slots;
}

/** Connections shared by every command to the same server, for the life of one run (see withSshPool). */
export class SshPool {
  private readonly conns = new Map<string, Pooled>();
  /** Connections opened (a server whose connection dropped is counted again): for tests and logs. */
  opened = 0;

  private key(target: SshTarget): string {
    return `${target.user}@${target.host}:${target.port ?? 22}|${target.keyPath ?? ''}|${target.knownHostsFile ?? ''}`;
  }

  private entry(target: SshTarget): Pooled {
    const key = this.key(target);
    let e = this.conns.get(key);
    if (!e) {
      this.opened++;
      const client = connect(target);
      const entry: Pooled = { client, slots: new Slots(MAX_CHANNELS) };
      e = entry;
      this.conns.set(key, entry);
      client.then(
        (c) => c.on('close', () => this.conns.get(key) === entry && this.conns.delete(key)),
        (err) => {
          // A refused host key stays refused for the run (every check there says why); another
          // failure (a timeout, a reset) is retried by the next command.
          if (!(err instanceof HostKeyError) && this.conns.get(key) === entry) this.conns.delete(key);
        },
      );
    }
    return e;
  }

  async exec(target: SshTarget, command: string, timeoutMs: number, stdin?: string): Promise<ExecResult> {
    const e = this.entry(target);
    const client = await e.client;
    await e.slots.take();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await execOn(client, target, command, timeoutMs, stdin);
        } catch (err) {
          // sshd frees a session a moment after its close reaches us: the refusal of a new one in
          // that moment ("open failed") is retried, a few times, shortly after.
          if (attempt >= 4 || !/Channel open failure/i.test((err as Error).message)) throw err;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    } finally {
      e.slots.give();
    }
  }

  /** Close every connection. */
  async close(): Promise<void> {
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(
      all.map((e) =>
        e.client.then(
          (c) => c.end(),
          () => undefined,
        ),
      ),
    );
  }
}

const scope = new AsyncLocalStorage<SshPool>();

/** Run `fn` with one shared connection per server for every sshExec inside it; closed at the end. */
export async function withSshPool<T>(fn: (pool: SshPool) => Promise<T>): Promise<T> {
  const pool = new SshPool();
  try {
    return await scope.run(pool, () => fn(pool));
  } finally {
    await pool.close();
  }
}

/**
 * Run one command over SSH and collect its output and exit code. `stdin` is written to the
 * command's standard input: secrets and SQL travel there, never on a command line (other users
 * of the server could read it in /proc) nor in a log.
 */
export async function sshExec(target: SshTarget, command: string, timeoutMs = 120_000, stdin?: string): Promise<ExecResult> {
  const pool = scope.getStore();
  if (pool) return pool.exec(target, command, timeoutMs, stdin);
  const client = await connect(target);
  try {
    return await execOn(client, target, command, timeoutMs, stdin);
  } finally {
    client.end();
  }
}

export interface LoginAttempt {
  /** True when the server let the user in. */
  accepted: boolean;
  /** The server's answer: the error text, or 'authenticated'. */
  detail: string;
}

/**
 * Try to log in with a password, or with a key as a given user, and report whether the server
 * accepted. A refused login is the expected outcome of the access-control checks. Always a
 * connection of its own (a login attempt cannot share one), with the host key checked too.
 */
export async function tryLogin(target: SshTarget, method: { password: string } | { keyPath: string }): Promise<LoginAttempt> {
  const extra: Partial<ssh2.ConnectConfig> =
    'password' in method
      ? { password: method.password, privateKey: undefined, authHandler: ['password'] }
      : { privateKey: readFileSync(method.keyPath), authHandler: ['publickey'] };
  try {
    const client = await connect({ ...target, keyPath: undefined }, extra);
    client.end();
    return { accepted: true, detail: 'authenticated' };
  } catch (err) {
    const e = err as Error & { level?: string };
    if (e.level === 'client-authentication') return { accepted: false, detail: e.message };
    throw err;
  }
}
