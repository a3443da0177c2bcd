// The lab's network flows, defined once: which role listens on which port, reached by whom, and
// why. Everything that opens or draws a port is derived from this table: the nftables rules of
// each server (through the Ansible inventory, src/lifecycle/inventory.ts), the AWS security groups
// (stacks/topology.ts), the architecture diagram (src/evidence/diagram.ts), the Prometheus scrape
// jobs (src/modules/monitoring/scrape-jobs.ts) and docs/flows.md (`npm run docs`).
// Engine-neutral and pure: it imports nothing outside src/core.
import { ROLES, type Role } from './model/cohort.ts';

/**
 * Who may open a flow.
 * - public: end users, any address (nftables); on AWS the servers are private, so users come
 *   through the bastion, and the trainers' networks.
 * - admin: the trainers' networks (cohort.admin.cidrs).
 * - bastion: the cohort's or the candidate's bastion (AWS; lab_bastion_cidrs for nftables).
 * - subnet: the candidate's own network. On the local target the controller is on it (the host's
 *   bridge address). On AWS the private subnets are shared by every candidate, so this source opens
 *   nothing there: the candidate's servers are named by role instead.
 * - role: the candidate's own servers of that role (never another candidate's).
 */
export type FlowSource =
  | { kind: 'public' }
  | { kind: 'admin' }
  | { kind: 'bastion' }
  | { kind: 'subnet' }
  | { kind: 'role'; role: Role };

export type FlowModule = 'data' | 'monitoring';

export interface Flow {
  /** Stable identifier: rule names, nftables set names, diagram labels and tests use it. */
  id: string;
  protocol: 'tcp';
  port: number;
  /** Roles whose servers listen. */
  to: readonly Role[];
  from: readonly FlowSource[];
  /** The flow exists only when every one of these cohort modules is on. */
  modules?: readonly FlowModule[];
  /**
   * The module that writes this flow's nftables rule itself, from its model, with exact addresses
   * narrower than `from` (the data module: the model's clients and the db peers only). The firewall
   * role then does not open it; the security groups still follow `from`.
   */
  narrowedBy?: 'data';
  /**
   * Who listens: the application once deployed (`asd-lab app deploy`, `k8s apply`), not a role of
   * the server; the CP4.1 check then does not expect the port open after `up` alone.
   */
  servedBy?: 'app';
  why: string;
  /** Criteria of the title this flow serves. */
  competencies: readonly string[];
}

const publicSource: FlowSource = { kind: 'public' };
const admin: FlowSource = { kind: 'admin' };
const bastion: FlowSource = { kind: 'bastion' };
const subnet: FlowSource = { kind: 'subnet' };
const role = (r: Role): FlowSource => ({ kind: 'role', role: r });

/**
 * Every flow of the lab, and nothing else (default deny). Loopback-only listeners are not flows:
 * blackbox_exporter (localhost:9115), the alert receiver (127.0.0.1:9095), the restore check's
 * scratch PostgreSQL (5433), and Prometheus scraping itself and its Alertmanager on the mon server.
 * No Grafana: it is not packaged in Debian (docs/monitoring.md), so no port 3000.
 */
export const FLOWS = [
  {
    id: 'ssh',
    protocol: 'tcp',
    port: 22,
    to: ROLES,
    from: [admin, bastion, subnet],
    why: "SSH administration (Ansible, trainers, the candidate): through the bastion on AWS, from the controller's bridge on the local target",
    competencies: ['CP3.2'],
  },
  {
    id: 'node-exporter',
    protocol: 'tcp',
    port: 9100,
    to: ROLES,
    from: [role('mon')],
    modules: ['monitoring'],
    why: "node_exporter (HTTPS, basic auth) scraped by the candidate's mon server only; also its TLS probe (blackbox_tls)",
    competencies: ['CP9.3', 'CP10.1'],
  },
  {
    id: 'http',
    protocol: 'tcp',
    port: 80,
    to: ['app', 'k8s'],
    from: [publicSource],
    servedBy: 'app',
    why: 'the application over HTTP, for end users',
    competencies: ['CP4.2', 'CP8.4'],
  },
  {
    id: 'https',
    protocol: 'tcp',
    port: 443,
    to: ['app', 'k8s'],
    from: [publicSource, role('mon')],
    servedBy: 'app',
    why: 'the application over HTTPS, for end users; mon probes it as they reach it (blackbox_http)',
    competencies: ['CP4.2', 'CP8.4', 'CP10.1'],
  },
  {
    id: 'app-metrics',
    protocol: 'tcp',
    port: 8080,
    to: ['app'],
    from: [role('mon'), subnet],
    servedBy: 'app',
    why: "the application's own /metrics (HTTPS), scraped by mon",
    competencies: ['CP9.1', 'CP10.1'],
  },
  {
    id: 'k8s-api',
    protocol: 'tcp',
    port: 6443,
    to: ['k8s'],
    from: [admin, bastion, subnet],
    why: 'the Kubernetes API (kubectl, the k8s stacks)',
    competencies: ['CP8.3'],
  },
  {
    id: 'postgresql',
    protocol: 'tcp',
    port: 5432,
    to: ['db'],
    from: [role('app'), role('k8s'), role('mon'), subnet],
    modules: ['data'],
    narrowedBy: 'data',
    why: "PostgreSQL clients of the data model (application, reporting from mon, the app's containers on the local target) and mon's probe; the data module opens only the model's sources",
    competencies: ['CP6.1', 'CP6.2'],
  },
  {
    id: 'postgresql-replication',
    protocol: 'tcp',
    port: 5432,
    to: ['db'],
    from: [role('db')],
    modules: ['data'],
    narrowedBy: 'data',
    why: 'streaming replication between the db servers (either may be primary)',
    competencies: ['CP6.1'],
  },
  {
    id: 'pgbackrest-repo',
    protocol: 'tcp',
    port: 8432,
    to: ['mon'],
    from: [role('db')],
    modules: ['data'],
    narrowedBy: 'data',
    why: 'WAL archiving and backups from the db servers to the pgBackRest repository on mon (TLS, mutual authentication)',
    competencies: ['CP6.3'],
  },
  {
    id: 'pgbackrest-db',
    protocol: 'tcp',
    port: 8432,
    to: ['db'],
    from: [role('mon')],
    modules: ['data'],
    narrowedBy: 'data',
    why: "the pgBackRest repository (mon) runs the backups through the db servers' pgBackRest TLS server",
    competencies: ['CP6.3'],
  },
  {
    id: 'postgres-exporter',
    protocol: 'tcp',
    port: 9187,
    to: ['db'],
    from: [role('mon'), subnet],
    modules: ['monitoring', 'data'],
    why: 'postgres_exporter (HTTPS, basic auth) scraped by mon',
    competencies: ['CP9.3', 'CP10.1'],
  },
  {
    id: 'syslog-tls',
    protocol: 'tcp',
    port: 6514,
    to: ['mon'],
    from: [...ROLES.filter((r) => r !== 'mon').map(role), subnet],
    modules: ['monitoring'],
    why: "every server's logs to mon (rsyslog over mutual TLS, RFC 5425)",
    competencies: ['CP10.1'],
  },
  {
    id: 'prometheus',
    protocol: 'tcp',
    port: 9090,
    to: ['mon'],
    from: [admin, bastion, subnet],
    modules: ['monitoring'],
    why: 'the Prometheus UI and API (behind basic auth)',
    competencies: ['CP10.2'],
  },
  {
    id: 'alertmanager',
    protocol: 'tcp',
    port: 9093,
    to: ['mon'],
    from: [admin, bastion, subnet],
    modules: ['monitoring'],
    why: 'the Alertmanager UI (behind basic auth)',
    competencies: ['CP10.2'],
  },
] as const satisfies readonly Flow[];

export type FlowId = (typeof FLOWS)[number]['id'];

/**
 * What an account of the cohort's jump host may open (`asd-lab access`; on the local target a
 * dedicated sshd on the lab host, see src/targets/local/jump.ts): flows of the table above, only to
 * the account's own candidate's servers (the trainer's: every candidate's). The jump reaches the
 * servers from the host's address on the candidate's bridge, the `subnet` source of these flows.
 */
export const JUMP_FLOWS = [
  { flow: 'ssh', why: 'ProxyJump to each of their servers (ssh, Ansible, scp)' },
  { flow: 'prometheus', why: 'the Prometheus console of mon from the laptop (ssh -L through the jump)' },
  { flow: 'alertmanager', why: 'the Alertmanager console of mon from the laptop (ssh -L through the jump)' },
] as const satisfies readonly { flow: FlowId; why: string }[];

const BY_ID = new Map<string, Flow>(FLOWS.map((f) => [f.id, f]));

export function flow(id: FlowId): Flow {
  return BY_ID.get(id)!;
}

/** The port of a flow (scrape jobs, probes, checks). */
export function flowPort(id: FlowId): number {
  return flow(id).port;
}

export interface FlowModules {
  data: boolean;
  monitoring: boolean;
}

/** The flows of a lab with these modules. */
export function activeFlows(modules: FlowModules): Flow[] {
  return FLOWS.filter((f: Flow) => (f.modules ?? []).every((m) => modules[m]));
}

/** The flows a jump account may open, with the roles that listen (modules off remove theirs). */
export function jumpFlows(modules: FlowModules): Flow[] {
  const active = activeFlows(modules);
  return JUMP_FLOWS.flatMap((j) => active.filter((f) => f.id === j.flow));
}

/** The flows a server of this role accepts. */
export function flowsTo(target: Role, modules: FlowModules): Flow[] {
  return activeFlows(modules).filter((f) => f.to.includes(target));
}

/** The roles a flow names as sources. */
export function sourceRoles(f: Flow): Role[] {
  return f.from.flatMap((s) => (s.kind === 'role' ? [s.role] : []));
}

export const isPublic = (f: Flow) => f.from.some((s) => s.kind === 'public');

const sourceText = (s: FlowSource) => (s.kind === 'role' ? s.role : s.kind === 'public' ? 'end users (any address)' : s.kind);

/** docs/flows.md, generated by `npm run docs` (a test checks it is current). */
export function renderFlowsDoc(): string {
  const rows = FLOWS.map(
    (f: Flow) =>
      `| \`${f.id}\` | ${f.protocol}/${f.port} | ${f.to.join(', ')} | ${f.from.map(sourceText).join(', ')} | ${f.modules?.join(' + ') ?? 'always'}${f.narrowedBy ? ` (rule written by the ${f.narrowedBy} module)` : ''} | ${f.why} | ${f.competencies.join(', ')} |`,
  );
  return [
    '# Network flows',
    '',
    '<!-- Generated from src/core/flows.ts by `npm run docs`; do not edit. -->',
    '',
    'Every port a lab server accepts, who may open it and why: one table, `FLOWS` in',
    '[src/core/flows.ts](../src/core/flows.ts). Everything else is derived from it: the nftables',
    'ruleset of each server (the inventory gives role `firewall` its `lab_firewall_flows`), the AWS',
    'security groups (stacks/topology.ts `ROLE_INGRESS`), the architecture diagram and the',
    'Prometheus scrape jobs. Anything not listed is dropped (ANSSI R78, R80).',
    '',
    '| Flow | Port | Listens | From | When | Why | Criteria |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Sources:',
    '',
    '- **end users (any address)**: nftables accepts any address. On AWS the servers are private:',
    "  users come through the bastion, and the security group names the bastion and the trainers' networks.",
    "- **admin**: the trainers' networks (`admin.cidrs` of the cohort).",
    '- **bastion**: the bastion (AWS security group; `lab_bastion_cidrs` for nftables).',
    "- **subnet**: the candidate's own network. On the local target the controller is on it. On AWS",
    '  the private subnets are shared by every candidate, so this source opens nothing there.',
    "- **a role** (app, db, mon...): the candidate's own servers of that role, never another candidate's",
    "  (nftables: their addresses, from the inventory; AWS: a reference to the role's security group).",
    '',
    'The data module narrows its flows further: 5432 accepts only the clients of the data model and',
    'the other db servers, 8432 only the repository and the db servers (src/modules/data/generate.ts).',
    '',
    'Known gap: the blackbox SSH probe (mon → every server, port 22, banner only) is allowed by the',
    '`subnet` source of flow `ssh` on the local target; on AWS the security groups keep SSH to the',
    "bastion and the trainers' networks, so that probe reports the servers' SSH down there.",
    '',
    '## Through the jump host',
    '',
    "A candidate's laptop reaches the lab through the cohort's jump host (`asd-lab access`,",
    '[docs/access.md](access.md)): one account per candidate, which may open only these flows, and only',
    "to that candidate's servers (the trainer's account: every candidate's); no shell, no other forwarding.",
    '',
    '| Flow | Port | To | Why |',
    '|---|---|---|---|',
    ...JUMP_FLOWS.map((j) => `| \`${j.flow}\` | tcp/${flow(j.flow).port} | ${flow(j.flow).to.join(', ')} | ${j.why} |`),
    '',
    'Loopback only, so not flows: blackbox_exporter (localhost:9115), the alert receiver',
    "(127.0.0.1:9095), the restore check's scratch PostgreSQL (5433).",
    '',
  ].join('\n');
}
