// Reading an OpenSSH known_hosts file: the keys recorded for one host (plain names, "[host]:port"
// and hashed "|1|salt|hash" entries, as ssh writes them), so that files given to candidates can pin
// what this machine already saw.
import { createHmac } from 'node:crypto';

/** The "host" field of known_hosts for a host and port (ssh writes [host]:port off port 22). */
export const knownHostsName = (host: string, port = 22) => (port === 22 ? host : `[${host}]:${port}`);

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  return pattern === name;
}

/**
 * The keys ("type base64") recorded for `host`:`port` in known_hosts text, in file order, without
 * duplicates. Markers (@cert-authority, @revoked), comments and negated patterns are not keys of the host.
 */
export function recordedHostKeys(text: string, host: string, port = 22): string[] {
  const name = knownHostsName(host, port);
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, key] = line.split(/\s+/);
    if (!hosts || !type || !key) continue;
    const patterns = hosts.split(',');
    if (patterns.some((p) => p.startsWith('!') && matches(p.slice(1), name))) continue;
    if (!patterns.some((p) => matches(p, name))) continue;
    const k = `${type} ${key}`;
    if (!out.includes(k)) out.push(k);
  }
  return out;
}
