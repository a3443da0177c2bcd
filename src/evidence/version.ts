// What version of asd-lab made a report or a bundle: package version, git commit, dirty flag.
import { readFileSync } from 'node:fs';
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
  const head = await execa('git', ['rev-parse', 'HEAD'], { cwd: root, reject: false });
  const commit = head.exitCode === 0 ? head.stdout.trim() : 'unknown';
  const st = commit === 'unknown' ? undefined : await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, reject: false });
  const v = { version, commit, dirty: Boolean(st && st.exitCode === 0 && st.stdout.trim() !== '') };
  if (root === REPO_ROOT) cached = v;
  return v;
}
