// What `asd-lab access` gives a candidate (or the trainer) to reach their lab from their own
// machine: ssh_config, known_hosts, an Ansible inventory and a printable card. Pure: the lifecycle
// (src/lifecycle/access.ts) gathers the facts and writes the files. Nothing here names a host path:
// the folder works once copied to the laptop; no private key is ever part of it.
import { stringify } from 'yaml';
import { t, type Lang } from '../core/i18n/index.ts';

export interface AccessServer {
  /** The Host of ssh_config: the server's name (gateway, app...), `<candidate>-<server>` for the trainer. */
  alias: string;
  /** The inventory host: `<candidate>-<server>`, the name the lab's own inventory uses. */
  inventoryName: string;
  role: string;
  address: string;
  user: string;
  /**
   * The server's public host keys, "type base64": recorded when the server was created (local), or
   * when asd-lab first reached it (AWS). Empty: not known, the first connection trusts it (TOFU).
   */
  hostKeys: string[];
  /** 'direct': reached without the jump (AWS: the candidate's own gateway is their bastion). */
  via?: 'jump' | 'direct';
}

export interface AccessBundle {
  cohort: string;
  /** The candidate's id; null for the trainers' files. */
  candidate: string | null;
  /** Display name (the candidate's name, else the id). */
  displayName: string;
  /** The jump host; hostKeys empty = not known (TOFU), fingerprint then null. */
  jump: { host: string; port: number; user: string; hostKeys: string[]; fingerprint: string | null };
  servers: AccessServer[];
  /** Last day of the access (the cohort's expires), YYYY-MM-DD. */
  expires?: string;
  /** Console ports of the mon servers (monitoring module on). */
  consoles: { alias: string; address: string; prometheus: number; alertmanager: number }[];
}

export const JUMP_ALIAS = 'jump';

/** A Host whose key is not known: trusted on first use, then pinned in known_hosts (a changed key is refused). */
const TOFU_LINE = '    StrictHostKeyChecking accept-new';

/** The known_hosts name of a Host: an alias per cohort, so that lines copied elsewhere never clash. */
export const keyAlias = (cohort: string, alias: string) => `${cohort}.${alias}.asd-lab`;

/** The hosts of the bundle whose key is not known: their first connection trusts the key (TOFU). */
export function tofuHosts(b: AccessBundle): string[] {
  return [...(b.jump.hostKeys.length ? [] : [JUMP_ALIAS]), ...b.servers.filter((s) => !s.hostKeys.length).map((s) => s.alias)];
}

/** ssh_config: the jump, then one Host per server through it; host keys pinned, strict checking (TOFU where unknown). */
export function renderSshConfig(b: AccessBundle): string {
  const who = b.candidate ? `candidate ${b.candidate}` : 'the trainers';
  const lines = [
    `# asd-lab access to cohort ${b.cohort} for ${who}.`,
    '# Use it from this folder (UserKnownHostsFile is relative to the current directory):',
    `#   ssh -F ssh_config ${b.servers[0]?.alias ?? JUMP_ALIAS}`,
    '# Your own key is used (ssh-agent or ~/.ssh/id_*): no private key is part of these files.',
    '',
    `Host ${JUMP_ALIAS}`,
    `    HostName ${b.jump.host}`,
    `    Port ${b.jump.port}`,
    `    User ${b.jump.user}`,
    `    HostKeyAlias ${keyAlias(b.cohort, JUMP_ALIAS)}`,
    // The jump has no shell: "ssh jump" alone is refused; -N with -L opens the consoles.
    '    RequestTTY no',
    // ssh keeps the first value it reads: this Host's line wins over "Host *".
    ...(b.jump.hostKeys.length ? [] : [TOFU_LINE]),
    '',
  ];
  for (const s of b.servers) {
    lines.push(
      `Host ${s.alias}`,
      `    HostName ${s.address}`,
      `    User ${s.user}`,
      ...(s.via === 'direct' ? [] : [`    ProxyJump ${JUMP_ALIAS}`]),
      `    HostKeyAlias ${keyAlias(b.cohort, s.alias)}`,
      ...(s.hostKeys.length ? [] : [TOFU_LINE]),
      '',
    );
  }
  lines.push(
    'Host *',
    '    UserKnownHostsFile known_hosts',
    '    StrictHostKeyChecking yes',
    '    CheckHostIP no',
    '    HashKnownHosts no',
    '    ForwardAgent no',
    '    ForwardX11 no',
    '    ServerAliveInterval 60',
    '',
  );
  return lines.join('\n');
}

/** known_hosts: the jump's key and every server's, under the aliases of ssh_config. */
export function renderKnownHosts(b: AccessBundle): string {
  const key = (k: string) => k.trim().split(/\s+/).slice(0, 2).join(' ');
  return [
    ...b.jump.hostKeys.map((k) => `${keyAlias(b.cohort, JUMP_ALIAS)} ${key(k)}`),
    ...b.servers.flatMap((s) => s.hostKeys.map((k) => `${keyAlias(b.cohort, s.alias)} ${key(k)}`)),
    '',
  ].join('\n');
}

/**
 * The laptop's Ansible inventory: the lab's host and group names (groups by role), each host reached
 * through ssh_config's alias. `inventory_dir` makes it work from any folder: ssh is given the config
 * and known_hosts next to the inventory, and the hop to the jump is given them too (ProxyJump's own
 * ssh would read known_hosts relative to the current directory).
 */
export function renderLaptopInventory(b: AccessBundle): string {
  const dir = '{{ inventory_dir }}';
  const common = `-o UserKnownHostsFile="${dir}/known_hosts"`;
  const hosts: Record<string, Record<string, string>> = {};
  const groups: Record<string, { hosts: Record<string, null> }> = {};
  for (const s of b.servers) {
    hosts[s.inventoryName] = {
      ansible_host: s.alias,
      ansible_user: s.user,
      // Reached without the jump: no ProxyCommand for it.
      ...(s.via === 'direct' ? { ansible_ssh_common_args: `-F "${dir}/ssh_config" ${common}` } : {}),
    };
    (groups[s.role] ??= { hosts: {} }).hosts[s.inventoryName] = null;
  }
  const inventory = {
    all: {
      vars: {
        ansible_ssh_common_args: `-F "${dir}/ssh_config" ${common} -o ProxyCommand='ssh -F "${dir}/ssh_config" ${common} -W %h:%p ${JUMP_ALIAS}'`,
        lab_cohort: b.cohort,
        ...(b.candidate ? { lab_candidate: b.candidate } : {}),
      },
      hosts,
      children: Object.fromEntries(Object.entries(groups).sort(([x], [y]) => x.localeCompare(y))),
    },
  };
  return `# asd-lab access: Ansible inventory for ${b.candidate ? `candidate ${b.candidate}` : 'the trainers'} (cohort ${b.cohort}).\n# ansible -i inventory.yml all -m ping\n${stringify(inventory, { nullStr: '' })}`;
}

/** The one command that opens the consoles of a mon server on the laptop's localhost. */
export function consolesCommand(c: AccessBundle['consoles'][number]): string {
  return `ssh -F ssh_config -N -L ${c.prometheus}:${c.address}:${c.prometheus} -L ${c.alertmanager}:${c.address}:${c.alertmanager} ${JUMP_ALIAS}`;
}

/** ED25519, ECDSA, RSA... from a key's type field. */
const keyType = (k: string) => {
  const type = k.split(/\s+/)[0] ?? '';
  return type.startsWith('ecdsa-')
    ? 'ECDSA'
    : type
        .replace(/^(ssh-|sk-ssh-)/, '')
        .replace(/@.*$/, '')
        .toUpperCase();
};

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The printable card: one A4 page in the cohort's language. */
export function renderCardHtml(b: AccessBundle, lang: Lang): string {
  const tr = (k: Parameters<typeof t>[0], p: Record<string, string | number> = {}) => esc(t(k, p, lang));
  const first = b.servers[0]?.alias ?? JUMP_ALIAS;
  const tofu = tofuHosts(b);
  const rows = b.servers
    .map(
      (s) =>
        `<tr><td><code>${esc(s.alias)}</code></td><td>${esc(s.role)}</td><td>${esc(s.address)}</td><td>${esc(s.user)}</td></tr>`,
    )
    .join('\n');
  const consoles = b.consoles.length
    ? b.consoles
        .map(
          (c) =>
            `<h2>${tr('card.consoles', { server: c.alias })}</h2><p>${tr('card.consolesHow')}</p><pre>${esc(consolesCommand(c))}</pre>`,
        )
        .join('\n')
    : `<p>${tr('card.noConsoles')}</p>`;
  const title = b.candidate ? tr('card.title') : tr('card.trainerTitle', { cohort: b.cohort });
  return `<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<title>${title} — ${esc(b.displayName)}</title>
<style>
  @page { size: A4; margin: 14mm; }
  body { font-family: "DejaVu Sans", sans-serif; font-size: 10.5pt; color: #111; }
  h1 { font-size: 17pt; margin: 0 0 2mm; }
  h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; border-bottom: 1px solid #999; }
  .who { font-size: 13pt; margin: 0 0 3mm; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border: 1px solid #bbb; padding: 1mm 2mm; text-align: left; }
  pre, code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
  pre { background: #f3f3f3; padding: 2mm; white-space: pre-wrap; word-break: break-all; margin: 1mm 0; }
  .small { font-size: 9pt; color: #333; }
</style>
</head>
<body>
<h1>${title}</h1>
<p class="who"><strong>${esc(b.displayName)}</strong> — ${tr('card.cohort', { cohort: b.cohort })}</p>
<h2>${tr('card.servers')}</h2>
<table>
<tr><th>${tr('card.server')}</th><th>${tr('card.role')}</th><th>${tr('card.address')}</th><th>${tr('card.user')}</th></tr>
${rows}
</table>
<h2>${tr('card.connect')}</h2>
<pre>ssh -F ssh_config ${esc(first)}</pre>
<h2>${tr('card.ansible')}</h2>
<pre>ansible -i inventory.yml all -m ping</pre>
<h2>${tr('card.fingerprint', { host: b.jump.host, port: b.jump.port })}</h2>
${b.jump.fingerprint ? `<pre>${esc(b.jump.fingerprint)} (${esc(keyType(b.jump.hostKeys[0] ?? ''))})</pre>` : `<p>${tr('card.noFingerprint')}</p>`}
<p class="small">${tofu.length ? tr('card.tofu', { hosts: tofu.join(', ') }) : tr('card.pinned')}</p>
${consoles}
<h2>${b.expires ? tr('card.expires', { date: b.expires }) : tr('card.noExpiry')}</h2>
<p class="small">${tr('card.ownKey')}<br>${tr('card.files')}</p>
</body>
</html>
`;
}
