// What version of asd-lab made a report or a bundle: package version, git commit, dirty flag.
import { readFileSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from '../core/repo.ts';

export interface ToolVersion {
  version: string;
  commit: string;
  dirty: boolean;
}

export function packageVersion(root = REPO_ROOT): string {
  return (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string }).version;
}

let cached: ToolVersion | undefined;

export async function toolVersion(root = REPO_ROOT): Promise<ToolVersion> {
  if (cached && root === REPO_ROOT) return cached;
  const version = packageVersion(root);
  // A commit only when root is the top of a checkout: a copy of asd-lab unpacked inside some other
  // repository (a home directory under git, a project's node_modules) must not report that one's.
  const head = await execa('git', ['rev-parse', '--show-toplevel', 'HEAD'], { cwd: root, reject: false });
  const [top, hash] = head.exitCode === 0 ? head.stdout.trim().split('\n') : [];
  const commit = top && hash && realpathSync(top) === realpathSync(root) ? hash : 'unknown';
  const st =
    commit === 'unknown'
      ? undefined
      : await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, reject: false });
  const v = { version, commit, dirty: Boolean(st && st.exitCode === 0 && st.stdout.trim() !== '') };
  if (root === REPO_ROOT) cached = v;
  return v;
}

/** What `asd-lab --version` prints: "asd-lab 0.1.0 (commit 0123456789ab+dirty)", the version alone outside a checkout. */
export function versionLine(v: ToolVersion): string {
  if (v.commit === 'unknown') return `asd-lab ${v.version}`;
  return `asd-lab ${v.version} (commit ${v.commit.slice(0, 12)}${v.dirty ? '+dirty' : ''})`;
}
