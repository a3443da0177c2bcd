// What Debian provides on this host, asked of Debian's own tools: the Ansible collections of Debian's
// `ansible` package (ansible-galaxy, keeping only the collections under the package's directory, so
// that one installed from Galaxy into ~/.ansible does not count), and which package names apt knows.
import { execa } from 'execa';
import { AsdError } from '../core/errors.ts';
import { t } from '../core/i18n/index.ts';

/** Where Debian's `ansible` package puts its collections. */
export const DEBIAN_COLLECTIONS_DIR = '/usr/lib/python3/dist-packages/ansible_collections';

/** Collections always there: they are ansible-core's own, not a collection to install. */
export const CORE_COLLECTIONS = ['ansible.builtin', 'ansible.legacy'] as const;

/** Run a tool; a tool that is not installed is a user error naming its Debian package. */
async function run(tool: string, args: string[], pkg: string) {
  const r = await execa(tool, args, { reject: false, env: { LANG: 'C' } });
  // reject: false: a missing program is a result without an exit code (ENOENT), not a throw
  if (r.exitCode === undefined) throw new AsdError(t('tools.missing', { tool, pkg }), { kind: 'user', cause: r.cause });
  return r;
}

/**
 * The collections of Debian's ansible package, name -> version, from
 * `ansible-galaxy collection list --format json`. Throws (kind user) when ansible-galaxy or
 * Debian's package is missing: the check cannot be made, and is not skipped.
 */
export async function debianCollections(dir = DEBIAN_COLLECTIONS_DIR): Promise<Map<string, string>> {
  const r = await run('ansible-galaxy', ['collection', 'list', '--format', 'json'], 'ansible');
  let listed: Record<string, Record<string, { version?: string }>>;
  try {
    listed = JSON.parse(r.stdout) as typeof listed;
  } catch {
    throw new AsdError(
      t('tools.badOutput', { tool: 'ansible-galaxy collection list', detail: (r.stderr || r.stdout).slice(0, 200) }),
      {
        kind: 'operation',
      },
    );
  }
  const found = new Map<string, string>();
  for (const [path, collections] of Object.entries(listed)) {
    if (path !== dir) continue;
    for (const [name, info] of Object.entries(collections)) found.set(name, info.version ?? '?');
  }
  if (found.size === 0) throw new AsdError(t('tools.noDebianCollections', { dir }), { kind: 'user' });
  return found;
}

/** Of these package names, the ones apt knows on this host (`apt-cache show`). */
export async function knownAptPackages(names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const r = await run('apt-cache', ['show', '--no-all-versions', ...names], 'apt');
  const known = new Set<string>();
  for (const m of r.stdout.matchAll(/^Package: (\S+)$/gm)) known.add(m[1]!);
  return known;
}
