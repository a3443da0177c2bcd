// The Prometheus tools that check the generated files, and the Debian package of each: a missing
// tool is reported with the command that installs it, never skipped.
import { execa } from 'execa';
import { t } from '../../core/i18n/index.ts';

export const TOOL_PACKAGES = {
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
  'prometheus-blackbox-exporter': 'prometheus-blackbox-exporter',
} as const;
export type Tool = keyof typeof TOOL_PACKAGES;

/** Absolute path of a tool (looked up in PATH), or an error that names the package to install. */
export async function requireTool(tool: Tool, path: string = process.env.PATH ?? ''): Promise<string> {
  const r = await execa('/bin/sh', ['-c', `command -v ${tool}`], { reject: false, env: { PATH: path }, extendEnv: false });
  if (r.exitCode !== 0 || !r.stdout.trim()) throw new Error(t('monitoring.toolMissing', { tool, pkg: TOOL_PACKAGES[tool] }));
  return r.stdout.trim();
}

/** Run a tool; never throws on a non-zero exit, so that callers can show its output. */
export async function runTool(tool: Tool, args: string[], cwd?: string) {
  const bin = await requireTool(tool);
  const r = await execa(bin, args, { reject: false, cwd, all: true, env: { LANG: 'C' } });
  return { code: r.exitCode ?? -1, output: r.all ?? '', stdout: r.stdout };
}
