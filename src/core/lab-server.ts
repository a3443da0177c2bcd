// A server of a candidate's lab as every layer sees it (checks, status, diagram, modules'
// operations), whatever the target: the shape of `asd-lab status --json`.
export interface LabServer {
  /** Server name in the model (db1). */
  name: string;
  /** Machine and host name (<candidate>-<server>). */
  machine?: string;
  role: string;
  state: 'running' | 'stopped' | 'missing';
  address: string;
  sshPort: number;
  user: string;
  keyPath: string;
  /** The bastion to go through (AWS: private servers have no route from here); absent: direct. */
  jump?: { host: string; port: number; user: string; keyPath: string; knownHostsFile?: string };
  /** The server's own host keys, recorded when it was created: SSH accepts no other (local target). */
  knownHostsFile?: string;
}
