// Prerequisite checks: each says what it found and the exact command that fixes it.
import { accessSync, constants, existsSync } from 'node:fs';
import { execa } from 'execa';
import { t, type MessageKey } from '../core/i18n/index.ts';

export interface Check {
  id: string;
  label: string;
  ok: boolean;
  found: string;
  fix?: string;
  /** Which part of the lab needs it. */
  for: 'all' | 'aws' | 'local' | 'vm' | 'k8s';
}

async function version(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await execa(cmd, args, { reject: false, timeout: 15_000 });
    if (r.exitCode !== 0 && !r.stdout) return undefined;
    return (r.stdout || r.stderr).split('\n')[0]?.trim();
  } catch {
    // not installed (ENOENT) or hung: doctor reports it missing, with the fix
    return undefined;
  }
}

const APT = 'apt-get update && apt-get install -y';

export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const tool = async (
    id: string,
    key: MessageKey,
    cmd: string,
    args: string[],
    fix: string,
    need: Check['for'],
  ): Promise<Check> => {
    const v = await version(cmd, args);
    return {
      id,
      label: t(key),
      ok: v !== undefined,
      found: v ?? t('doctor.missing'),
      fix: v === undefined ? fix : undefined,
      for: need,
    };
  };
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const mirror = env.ASD_LAB_TF_MIRROR ?? '/opt/tf-plugins';
  const mirrorOk = existsSync(`${mirror}/registry.terraform.io/hashicorp/aws/5.100.0`);
  let kvm = false;
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    kvm = true;
  } catch {
    /* reported below */
  }
  const checks: Check[] = [
    {
      id: 'node',
      label: t('doctor.node'),
      ok: nodeMajor >= 20,
      found: process.version,
      fix: nodeMajor >= 20 ? undefined : `${APT} nodejs`,
      for: 'all',
    },
    await tool(
      'terraform',
      'doctor.terraform',
      'terraform',
      ['version'],
      "install Terraform 1.11 from HashiCorp's release archive into /usr/local/bin",
      'aws',
    ),
    {
      id: 'mirror',
      label: t('doctor.mirror'),
      ok: mirrorOk,
      found: mirrorOk ? mirror : t('doctor.missing'),
      fix: mirrorOk
        ? undefined
        : `terraform providers mirror ${mirror}  (on a machine with Internet access, then copy it here; or set ASD_LAB_TF_MIRROR)`,
      for: 'aws',
    },
    await tool('ansible', 'doctor.ansible', 'ansible-playbook', ['--version'], `${APT} ansible`, 'local'),
    await tool('debootstrap', 'doctor.debootstrap', 'debootstrap', ['--version'], `${APT} debootstrap`, 'local'),
    await tool('nspawn', 'doctor.nspawn', 'systemd-nspawn', ['--version'], `${APT} systemd-container`, 'local'),
    await tool('nft', 'doctor.nft', 'nft', ['--version'], `${APT} nftables`, 'local'),
    {
      id: 'root',
      label: t('doctor.root'),
      ok: process.getuid?.() === 0,
      found: `uid ${process.getuid?.() ?? '?'}`,
      fix: process.getuid?.() === 0 ? undefined : 'sudo npx asd-lab up',
      for: 'local',
    },
    await tool('qemu', 'doctor.qemu', 'qemu-system-x86_64', ['--version'], `${APT} qemu-system-x86 qemu-utils`, 'vm'),
    {
      id: 'kvm',
      label: t('doctor.kvm'),
      ok: kvm,
      found: kvm ? '/dev/kvm' : t('doctor.missing'),
      fix: kvm
        ? undefined
        : 'enable virtualization (VT-x/AMD-V) or nested virtualization; the vm driver falls back to software emulation',
      for: 'vm',
    },
    await tool('kubectl', 'doctor.kubectl', 'kubectl', ['version', '--client'], `${APT} kubernetes-client`, 'k8s'),
  ];
  return checks;
}
