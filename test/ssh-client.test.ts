// The SSH client of the checks, against an in-process SSH server on 127.0.0.1 (ssh2's Server):
// host keys checked against the recorded known_hosts (a changed key is refused with a clear
// message, whatever the command), one connection per server reused inside withSshPool, with at
// most MAX_CHANNELS sessions at once on it (the lab's sshd allows MaxSessions 2).
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint, HostKeyError, knownKeys, MAX_CHANNELS, sshExec, tryLogin, withSshPool } from '../src/tools/ssh.ts';

const dir = mkdtempSync(join(tmpdir(), 'asd-ssh-'));
const gen = () => ssh2.utils.generateKeyPairSync('ed25519');
const host = gen();
const other = gen();
const client = gen();
const clientKey = join(dir, 'id');
writeFileSync(clientKey, client.private, { mode: 0o600 });
const blob = (pub: string) => Buffer.from(pub.split(' ')[1]!, 'base64');

let server: ssh2.Server;
let port = 0;
let connections = 0;
let sessions = 0;
let peakSessions = 0;

beforeAll(async () => {
  const allowed = ssh2.utils.parseKey(client.public) as ssh2.ParsedKey;
  server = new ssh2.Server({ hostKeys: [host.private] }, (conn) => {
    connections++;
    conn.on('authentication', (ctx) => {
      if (ctx.method === 'publickey' && ctx.username === 'asd-admin' && ctx.key.data.equals(allowed.getPublicSSH())) ctx.accept();
      else ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (accept, reject) => {
        if (sessions >= MAX_CHANNELS) {
          reject(); // what sshd does past MaxSessions
          return;
        }
        sessions++;
        peakSessions = Math.max(peakSessions, sessions);
        const session = accept();
        session.once('exec', (acc, _rej, info) => {
          const stream = acc();
          setTimeout(() => {
            stream.write(`ran ${info.command}\n`);
            stream.exit(0);
            stream.end();
          }, 30);
        });
        session.once('close', () => sessions--);
      });
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function knownHosts(name: string, pub: string): string {
  const file = join(dir, name);
  writeFileSync(file, `[127.0.0.1]:${port} ${pub.split(' ').slice(0, 2).join(' ')}\n`);
  return file;
}
const target = (knownHostsFile?: string) => ({
  host: '127.0.0.1',
  port,
  user: 'asd-admin',
  keyPath: clientKey,
  ...(knownHostsFile ? { knownHostsFile } : {}),
});

describe('known_hosts', () => {
  it('parses the lab files (address, [address]:port) and skips other hosts and comments', () => {
    const text = `# c\n10.0.0.5 ssh-ed25519 ${host.public.split(' ')[1]}\n[10.0.0.5]:2222 ssh-ed25519 ${other.public.split(' ')[1]}\n10.0.0.6 ssh-ed25519 AAAA\n`;
    expect(knownKeys(text, '10.0.0.5')).toEqual([blob(host.public)]);
    expect(knownKeys(text, '10.0.0.5', 2222)).toEqual([blob(other.public)]);
    expect(knownKeys(text, '10.0.0.7')).toEqual([]);
    expect(fingerprint(blob(host.public))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});

describe('host keys', () => {
  it('the recorded key: the command runs', async () => {
    const r = await sshExec(target(knownHosts('good', host.public)), 'hostname');
    expect(r).toEqual({ code: 0, stdout: 'ran hostname\n', stderr: '' });
  });

  it('a changed key: refused before authenticating, with the fingerprint and the file in the message', async () => {
    const file = knownHosts('changed', other.public);
    const err = await sshExec(target(file), 'hostname').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as Error).message).toContain(`host key of 127.0.0.1:${port} (${fingerprint(blob(host.public))})`);
    expect((err as Error).message).toContain(file);
    // A login test through a spoofed server is refused too (not taken for a refused login).
    await expect(tryLogin(target(file), { password: 'x' })).rejects.toBeInstanceOf(HostKeyError);
    // Inside a pool every command to that server fails the same way.
    await withSshPool(async () => {
      const all = await Promise.allSettled([sshExec(target(file), 'a'), sshExec(target(file), 'b')]);
      for (const r of all) expect(r.status === 'rejected' && (r.reason as Error).message).toContain('is not the one recorded');
    });
  });

  it('no recorded key, or a file without this host: refused', async () => {
    await expect(sshExec(target(), 'hostname')).rejects.toThrow(/no recorded host key/);
    await expect(sshExec(target(join(dir, 'absent')), 'hostname')).rejects.toThrow(/is missing/);
    const wrongHost = join(dir, 'wrong-host');
    writeFileSync(wrongHost, `10.9.9.9 ${host.public.split(' ').slice(0, 2).join(' ')}\n`);
    await expect(sshExec(target(wrongHost), 'hostname')).rejects.toThrow(/holds no host key for 127\.0\.0\.1/);
  });
});

describe('withSshPool', () => {
  it('one connection for every command to a server, at most MAX_CHANNELS sessions at once, results in order', async () => {
    const file = knownHosts('pool', host.public);
    const before = connections;
    peakSessions = 0;
    const out = await withSshPool(async (pool) => {
      const r = await Promise.all(Array.from({ length: 9 }, (_v, i) => sshExec(target(file), `cmd${i}`)));
      expect(pool.opened).toBe(1);
      return r;
    });
    expect(connections - before).toBe(1);
    expect(peakSessions).toBe(MAX_CHANNELS);
    expect(out.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 9 }, (_v, i) => `ran cmd${i}`));
    // Outside a pool, each command has its own connection, closed after it.
    const b2 = connections;
    await sshExec(target(file), 'x');
    await sshExec(target(file), 'y');
    expect(connections - b2).toBe(2);
  });
});
