// The architecture diagram, drawn from the live state (servers, their state, addresses and roles,
// the candidate's network) plus the flows that the roles imply (src/core/flows.ts, the table the
// firewalls and security groups are built from). Output: Graphviz DOT (rendered to
// SVG or PNG by the `dot` command of Debian's graphviz package) or Mermaid text (no tool needed).
import { execa } from 'execa';
import { activeFlows, type Flow, type FlowId } from '../core/flows.ts';
import { t, type Lang, type MessageKey } from '../core/i18n/index.ts';
import { planCandidate } from '../targets/local/plan.ts';
import type { Cohort } from '../core/model/cohort.ts';
import type { LabServer } from '../core/lab-server.ts';
import { AsdError } from '../core/errors.ts';

export type FlowKind = 'ssh' | 'web' | 'console' | 'sql' | 'replication' | 'backup' | 'metrics' | 'logs';

export interface DiagramNode {
  id: string;
  name: string;
  role: string;
  state: string;
  address: string;
}

export interface DiagramEdge {
  from: string;
  to: string;
  kind: FlowKind;
  port?: number;
  label: string;
  /** The flows of src/core/flows.ts this arrow draws (several once merged). */
  flows: FlowId[];
}

export interface DiagramCluster {
  id: string;
  label: string;
  nodes: DiagramNode[];
}

export interface Diagram {
  title: string;
  /** Language of every label (edges are labelled when the diagram is built). */
  lang: Lang;
  /** Nodes outside the candidates' networks (the controller / trainers' access). */
  outside: DiagramNode[];
  clusters: DiagramCluster[];
  edges: DiagramEdge[];
}

export interface CandidateState {
  id: string;
  name?: string;
  /** Network of the candidate: bridge name and subnet (local), or a label. */
  network?: string;
  servers: LabServer[];
}

/** Identifier safe for DOT and Mermaid. */
const nid = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * How each flow of the table is drawn. `primary`: only the first db server (the primary) listens
 * for it. `reversed`: the arrow follows the data, from the listener to the client (replication
 * streams from the primary; the pgBackRest repository pulls backups from the db servers).
 */
const DRAWN: Record<FlowId, { kind: FlowKind; label: MessageKey; viaBastion?: MessageKey; primary?: true; reversed?: true }> = {
  ssh: { kind: 'ssh', label: 'diagram.flow.ssh', viaBastion: 'diagram.flow.sshBastion' },
  'node-exporter': { kind: 'metrics', label: 'diagram.flow.metrics' },
  http: { kind: 'web', label: 'diagram.flow.http' },
  https: { kind: 'web', label: 'diagram.flow.https' },
  'app-metrics': { kind: 'metrics', label: 'diagram.flow.appMetrics' },
  'k8s-api': { kind: 'console', label: 'diagram.flow.k8sApi' },
  postgresql: { kind: 'sql', label: 'diagram.flow.sql', primary: true },
  'postgresql-replication': { kind: 'replication', label: 'diagram.flow.replication', primary: true, reversed: true },
  'pgbackrest-repo': { kind: 'backup', label: 'diagram.flow.backup' },
  'pgbackrest-db': { kind: 'backup', label: 'diagram.flow.backup', reversed: true },
  'postgres-exporter': { kind: 'metrics', label: 'diagram.flow.pgMetrics' },
  'syslog-tls': { kind: 'logs', label: 'diagram.flow.syslog' },
  prometheus: { kind: 'console', label: 'diagram.flow.prometheus' },
  alertmanager: { kind: 'console', label: 'diagram.flow.alertmanager' },
};

/**
 * The flows the roles imply, inside one candidate's network: every flow of the table that the
 * cohort's modules turn on, from each source to each server that listens. Only flows whose two ends
 * exist are drawn. The trainers, the bastion and end users enter through the controller (local
 * target) or, on AWS, through the bastion; the 'subnet' source is not drawn (it stands for the
 * candidate's own network, whose members the flow's other sources already name).
 */
export function roleFlows(cohort: Cohort, cand: CandidateState, controllerId: string, lang: Lang): DiagramEdge[] {
  const id = (s: LabServer) => nid(`${cand.id}_${s.name}`);
  const servers = cand.servers;
  const byRole = (r: string) => servers.filter((s) => s.role === r);
  // On AWS the trainers and the candidate enter through the bastion only; the bastion itself is
  // reached from the trainers' networks.
  const bastion = cohort.target === 'aws' ? byRole('gateway')[0] : undefined;
  const entry = (target: LabServer) => (bastion && target !== bastion ? id(bastion) : controllerId);
  const edges: DiagramEdge[] = [];
  const seen = new Set<string>();
  const push = (from: string, to: string, f: Flow, label: MessageKey, reversed = false) => {
    const [a, b] = reversed ? [to, from] : [from, to];
    const key = `${a}>${b}>${f.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    edges.push({
      from: a,
      to: b,
      kind: DRAWN[f.id as FlowId].kind,
      port: f.port,
      label: t(label, { port: f.port }, lang),
      flows: [f.id as FlowId],
    });
  };
  for (const f of activeFlows(cohort.modules)) {
    const how = DRAWN[f.id as FlowId];
    const listeners = servers.filter((s) => (f.to as readonly string[]).includes(s.role));
    for (const target of how.primary ? listeners.slice(0, 1) : listeners) {
      for (const source of f.from) {
        if (source.kind === 'role') {
          for (const client of byRole(source.role)) push(id(client), id(target), f, how.label, how.reversed);
        } else if (source.kind !== 'subnet') {
          const from = entry(target);
          push(from, id(target), f, from !== controllerId && how.viaBastion ? how.viaBastion : how.label, how.reversed);
        }
      }
    }
  }
  return edges;
}

/**
 * One arrow per pair of servers and kind of flow (node and postgres metrics from mon to a database
 * server become one arrow with both labels); a server's flow to itself (mon scraping its own
 * agent) is not drawn.
 */
export function mergeEdges(edges: DiagramEdge[]): DiagramEdge[] {
  const out: DiagramEdge[] = [];
  for (const e of edges) {
    if (e.from === e.to) continue;
    const same = out.find((x) => x.from === e.from && x.to === e.to && x.kind === e.kind);
    if (!same) out.push({ ...e, flows: [...e.flows] });
    else {
      // Both directions of pgBackRest draw the same arrow and label: say it once.
      if (!same.label.split(', ').includes(e.label)) same.label = `${same.label}, ${e.label}`;
      same.flows.push(...e.flows.filter((f) => !same.flows.includes(f)));
    }
  }
  return out;
}

/** The diagram of some candidates of a cohort, from their live servers. */
export function buildDiagram(cohort: Cohort, candidates: CandidateState[], lang: Lang): Diagram {
  const controller: DiagramNode =
    cohort.target === 'aws'
      ? {
          id: 'admin',
          name: t('diagram.admin', {}, lang),
          role: 'admin',
          state: 'running',
          address: cohort.admin.cidrs.join(', ') || '-',
        }
      : {
          id: 'controller',
          name: t('diagram.controller', {}, lang),
          role: 'controller',
          state: 'running',
          address: t('diagram.controllerAddress', {}, lang),
        };
  const clusters: DiagramCluster[] = candidates.map((c) => ({
    id: nid(`net_${c.id}`),
    label: `${c.name ? `${c.id} (${c.name})` : c.id}${c.network ? ` — ${c.network}` : ''}`,
    nodes: c.servers.map((s) => ({
      id: nid(`${c.id}_${s.name}`),
      name: s.name,
      role: s.role,
      state: s.state,
      address: s.address,
    })),
  }));
  return {
    title: t('diagram.title', { cohort: cohort.cohort, target: cohort.target }, lang),
    lang,
    outside: [controller],
    clusters,
    edges: mergeEdges(candidates.flatMap((c) => roleFlows(cohort, c, controller.id, lang))),
  };
}

/** The candidates' state for the diagram: network from the local plan, servers from the state. */
export function candidateStates(cohort: Cohort, servers: Map<string, LabServer[]>, only?: string): CandidateState[] {
  return cohort.candidates
    .filter((c) => !only || c.id === only)
    .map((c) => {
      let network: string | undefined;
      if (cohort.target === 'local') {
        const plan = planCandidate(cohort, c);
        network = `${plan.bridge} ${plan.subnet}`;
      }
      return { id: c.id, name: c.name, network, servers: servers.get(c.id) ?? [] };
    });
}

const EDGE_STYLE: Record<FlowKind, string> = {
  ssh: 'color="#444444"',
  web: 'color="#1f7a8c", penwidth=1.4',
  console: 'color="#444444", style=dashed',
  sql: 'color="#1f5fa8", penwidth=1.6',
  replication: 'color="#1f5fa8", style=bold',
  backup: 'color="#7a4fa0", style=dashed',
  metrics: 'color="#c05a00", style=dotted',
  logs: 'color="#2e7d32", style=dashed',
};

const STATE_STYLE: Record<string, string> = {
  running: 'color="#2e7d32", fillcolor="#eaf5ea"',
  stopped: 'color="#c05a00", fillcolor="#fff1e0"',
  missing: 'color="#888888", fillcolor="#f2f2f2", style="rounded,dashed,filled"',
};

const dq = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

function nodeLabel(n: DiagramNode, lang: Lang): string {
  const state =
    n.role === 'controller' || n.role === 'admin'
      ? ''
      : `\\n${t(`diagram.state.${n.state === 'running' ? 'running' : n.state === 'stopped' ? 'stopped' : 'missing'}`, {}, lang)}`;
  const role = n.role === 'controller' || n.role === 'admin' || n.role === n.name ? '' : `${n.role} · `;
  return `${n.name}\\n${role}${n.address}${state}`;
}

export function renderDot(d: Diagram, lang: Lang = d.lang): string {
  const out = [
    'digraph asdlab {',
    `  graph [label=${dq(d.title)}, labelloc=t, fontname="DejaVu Sans", fontsize=14, rankdir=LR, nodesep=0.4, ranksep=1.1];`,
    '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10];',
    '  edge [fontname="DejaVu Sans", fontsize=8];',
  ];
  for (const n of d.outside)
    out.push(
      `  ${n.id} [label=${dq(nodeLabel(n, lang)).replace(/\\\\n/g, '\\n')}, shape=component, fillcolor="#e8eef7", color="#1f5fa8"];`,
    );
  for (const c of d.clusters) {
    out.push(`  subgraph cluster_${c.id} {`, `    label=${dq(c.label)}; style="rounded"; color="#999999";`);
    for (const n of c.nodes)
      out.push(
        `    ${n.id} [label=${dq(nodeLabel(n, lang)).replace(/\\\\n/g, '\\n')}, ${STATE_STYLE[n.state] ?? STATE_STYLE.missing}];`,
      );
    out.push('  }');
  }
  for (const e of d.edges) out.push(`  ${e.from} -> ${e.to} [label=${dq(e.label)}, ${EDGE_STYLE[e.kind]}];`);
  out.push('}', '');
  return out.join('\n');
}

const mq = (s: string) => s.replace(/"/g, '#quot;');

export function renderMermaid(d: Diagram, lang: Lang = d.lang): string {
  const out = ['---', `title: ${d.title}`, '---', 'flowchart LR'];
  const label = (n: DiagramNode) => mq(nodeLabel(n, lang).replace(/\\n/g, '<br/>'));
  for (const n of d.outside) out.push(`  ${n.id}[["${label(n)}"]]`);
  for (const c of d.clusters) {
    out.push(`  subgraph ${c.id}["${mq(c.label)}"]`);
    for (const n of c.nodes) out.push(`    ${n.id}("${label(n)}")`);
    out.push('  end');
  }
  const arrow: Record<FlowKind, string> = {
    ssh: '-->',
    web: '-->',
    console: '-.->',
    sql: '==>',
    replication: '==>',
    backup: '-.->',
    metrics: '-.->',
    logs: '-.->',
  };
  for (const e of d.edges) out.push(`  ${e.from} ${arrow[e.kind]}|"${mq(e.label)}"| ${e.to}`);
  for (const c of d.clusters) {
    for (const n of c.nodes)
      out.push(`  class ${n.id} ${n.state === 'running' ? 'running' : n.state === 'stopped' ? 'stopped' : 'missing'}`);
  }
  out.push(
    '  classDef running fill:#eaf5ea,stroke:#2e7d32',
    '  classDef stopped fill:#fff1e0,stroke:#c05a00',
    '  classDef missing fill:#f2f2f2,stroke:#888888,stroke-dasharray: 4 3',
    '',
  );
  return out.join('\n');
}

/** Graphviz is not installed: kind 'user' (the message gives the install command). */
export class DotMissingError extends AsdError {
  constructor(message: string) {
    super(message, { kind: 'user' });
  }
}

/** Render DOT with Graphviz; throws DotMissingError (with the install command) when `dot` is absent. */
export async function renderWithDot(dot: string, format: 'svg' | 'png'): Promise<Buffer> {
  const r = await execa('dot', [`-T${format}`], { input: dot, encoding: 'buffer', reject: false });
  if ((r as { code?: string }).code === 'ENOENT' || r.exitCode === 127 || (r.failed && !r.exitCode && !r.stdout?.length)) {
    throw new DotMissingError(t('diagram.noDot'));
  }
  if (r.exitCode !== 0) throw new Error(`dot -T${format}: ${Buffer.from(r.stderr).toString()}`);
  return Buffer.from(r.stdout);
}

export async function dotAvailable(): Promise<boolean> {
  const r = await execa('dot', ['-V'], { reject: false });
  return r.exitCode === 0;
}

/** SVG for embedding in an HTML page: the XML prolog and DOCTYPE removed. */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/<\?xml[^>]*>\s*/, '')
    .replace(/<!DOCTYPE[^>]*>\s*/, '')
    .replace(/<!--[\s\S]*?-->\s*/g, '');
}
