// `asd-lab ssh CANDIDATE SERVER [-- COMMAND]`: a shell on a server, or one command and its exit code.
import type { Command } from 'commander';
import { execa } from 'execa';
import { t } from '../../core/i18n/index.ts';
import { labServers } from '../../lifecycle/index.ts';
import { listServers, resolveStateDir } from '../../targets/local/index.ts';
import { cohortOf, UsageError, UserError } from '../context.ts';

export function register(program: Command): void {
  program
    .command('ssh')
    .description(t('cmd.ssh.description'))
    .argument('<candidate>', t('cmd.ssh.arg.candidate'))
    .argument('<server>', t('cmd.ssh.arg.server'))
    .argument('[command...]', t('cmd.ssh.arg.command'))
    .action(async (candidate: string, server: string, command: string[], _opts, cmd: Command) => {
      const { cohort } = cohortOf(cmd);
      const servers = (await labServers(cohort)).get(candidate);
      if (!servers)
        throw new UsageError(t('lab.unknownCandidate', { candidate, known: cohort.candidates.map((c) => c.id).join(', ') }));
      const s = servers.find((x) => x.name === server || x.machine === server);
      if (!s) throw new UsageError(t('ssh.unknownServer', { server, candidate, known: servers.map((x) => x.name).join(', ') }));
      if (s.state !== 'running') throw new UserError(t('ssh.notRunning', { server, state: s.state, candidate }));
      const local = (await listServers(resolveStateDir())).find((x) => x.name === s.machine);
      const args = ['-i', s.keyPath, '-p', String(s.sshPort), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'];
      // The server's own host keys were recorded at creation: strict checking, no trust on first use.
      if (local) args.push('-o', `UserKnownHostsFile=${local.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes');
      if (process.stdin.isTTY && command.length === 0) args.push('-t');
      args.push(`${s.user}@${s.address}`);
      if (command.length) args.push('--', ...command);
      const r = await execa('ssh', args, { stdio: 'inherit', reject: false });
      process.exitCode = r.exitCode ?? 255;
    });
}
