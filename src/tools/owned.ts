// Child processes that die with asd-lab: when `up` is killed (SIGKILL, the OOM killer, a closed
// terminal), the script or Ansible run it started must not go on alone and race the next `up`.
// setpriv (util-linux, on every Debian) asks the kernel to send SIGKILL to the child when its
// parent dies; the child's own children (the servers) are not affected.
import { existsSync } from 'node:fs';

const SETPRIV = '/usr/bin/setpriv';

/** The command line that runs `command args` as a child that dies with this process. */
export function ownedCommand(command: string, args: string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
}
