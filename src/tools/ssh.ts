// SSH from the checks: run a command, or prove that a login is refused. Built on ssh2 so that
// each check sees the server's real answer (which methods it offers, whether auth failed).
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

export interface SshTarget {
  host: string;
  port?: number;
  user: string;
  /** Private key file; omit to try other methods. */
  keyPath?: string;
  /** Reach the target through this jump host (ssh -J): a direct-tcpip channel opened on it. */
  jump?: SshTarget;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const TIMEOUT_MS = 15_000;

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
    const client = new ssh2.Client();
    client
      .on('ready', () => resolve(client))
      .on('error', (err) => reject(err))
      .connect({
        host: target.host,
        port: target.port ?? 22,
        username: target.user,
        privateKey: target.keyPath ? readFileSync(target.keyPath) : undefined,
        readyTimeout: TIMEOUT_MS,
        // Lab servers are created by us with fresh host keys; the checks verify access rules, not identity.
        hostVerifier: () => true,
        ...extra,
      });
  });
}

/**
 * Run one command over SSH and collect its output and exit code. `stdin` is written to the
 * command's standard input: secrets and SQL travel there, never on a command line (other users
 * of the server could read it in /proc) nor in a log.
 */
export async function sshExec(target: SshTarget, command: string, timeoutMs = 120_000, stdin?: string): Promise<ExecResult> {
  const client = await connect(target);
  try {
    return await new Promise<ExecResult>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`ssh ${target.host}: "${command.slice(0, 80)}" timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      client.exec(command, (err, stream) => {
        if (err) {
          clearTimeout(timer);
          reject(err);
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
 * accepted. A refused login is the expected outcome of the access-control checks.
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
