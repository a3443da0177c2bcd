// The architecture diagram, drawn from the live state (servers, their state, addresses and roles,
// the candidate's network) plus the flows that the roles imply. Output: Graphviz DOT (rendered to
// SVG or PNG by the `dot` command of Debian's graphviz package) or Mermaid text (no tool needed).
import { execa } from 'execa';
import { t, type Lang } from '../core/i18n/index.ts';
import { planCandidate } from '../targets/local/plan.ts';
import type { Cohort } from '../core/model/cohort.ts';
import type { LabServer } from '../checks/types.ts';
import { AsdError } from '../core/errors.ts';

export type FlowKind = 'ssh' | 'sql' | 'replication' | 'backup' | 'metrics' | 'logs';

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
 * The flows the roles imply, inside one candidate's network. Only flows whose two ends exist are
 * drawn; the data flows need modules.data, the monitoring flows modules.monitoring.
 */
export function roleFlows(cohort: Cohort, cand: CandidateState, controllerId: string, lang: Lang): DiagramEdge[] {
  const id = (s: LabServer) => nid(`${cand.id}_${s.name}`);
  const servers = cand.servers;
  const byRole = (r: string) => servers.filter((s) => s.role === r);
  const edges: DiagramEdge[] = [];
  const gateways = byRole('gateway');
  if (cohort.target === 'aws' && gateways.length > 0) {
    // On AWS the trainers and the candidate enter through the bastion only.
    edges.push({ from: controllerId, to: id(gateways[0]!), kind: 'ssh', port: 22, label: t('diagram.flow.ssh', { port: 22 }, lang) });
    for (const s of servers.filter((x) => x !== gateways[0])) {
      edges.push({ from: id(gateways[0]!), to: id(s), kind: 'ssh', port: 22, label: t('diagram.flow.sshBastion', { port: 22 }, lang) });
    }
  } else {
    // Local target: the controller (this host, on the candidate's bridge) reaches each server directly.
    for (const s of servers) edges.push({ from: controllerId, to: id(s), kind: 'ssh', port: 22, label: t('diagram.flow.ssh', { port: 22 }, lang) });
  }
  const dbs = byRole('db');
  const mons = byRole('mon');
  if (cohort.modules.data && dbs.length > 0) {
    const primary = dbs[0]!;
    for (const app of [...byRole('app'), ...byRole('k8s')]) {
      edges.push({ from: id(app), to: id(primary), kind: 'sql', port: 5432, label: t('diagram.flow.sql', { port: 5432 }, lang) });
    }
    for (const replica of dbs.slice(1)) {
      edges.push({ from: id(primary), to: id(replica), kind: 'replication', port: 5432, label: t('diagram.flow.replication', { port: 5432 }, lang) });
    }
    for (const db of dbs) for (const mon of mons) edges.push({ from: id(db), to: id(mon), kind: 'backup', port: 8432, label: t('diagram.flow.backup', { port: 8432 }, lang) });
  }
  if (cohort.modules.monitoring) {
    for (const mon of mons) {
      for (const s of servers) {
        edges.push({ from: id(mon), to: id(s), kind: 'metrics', port: 9100, label: t('diagram.flow.metrics', { port: 9100 }, lang) });
        if (s.role === 'db' && cohort.modules.data) {
          edges.push({ from: id(mon), to: id(s), kind: 'metrics', port: 9187, label: t('diagram.flow.pgMetrics', { port: 9187 }, lang) });
        }
      }
      for (const s of servers.filter((x) => x !== mon)) {
        edges.push({ from: id(s), to: id(mon), kind: 'logs', port: 6514, label: t('diagram.flow.syslog', { port: 6514 }, lang) });
      }
    }
  }
  return edges;
}

/**
 * One arrow per pair of servers and kind of flow (metrics 9100 and 9187 from mon to a database
 * server become one arrow with both labels); a server's flow to itself (mon scraping its own
 * agent) is not drawn.
 */
export function mergeEdges(edges: DiagramEdge[]): DiagramEdge[] {
  const out: DiagramEdge[] = [];
  for (const e of edges) {
    if (e.from === e.to) continue;
    const same = out.find((x) => x.from === e.from && x.to === e.to && x.kind === e.kind);
    if (same) same.label = `${same.label}, ${e.label}`;
    else out.push({ ...e });
  }
  return out;
}

/** The diagram of some candidates of a cohort, from their live servers. */
export function buildDiagram(cohort: Cohort, candidates: CandidateState[], lang: Lang): Diagram {
  const controller: DiagramNode = cohort.target === 'aws'
    ? { id: 'admin', name: t('diagram.admin', {}, lang), role: 'admin', state: 'running', address: cohort.admin.cidrs.join(', ') || '-' }
    : { id: 'controller', name: t('diagram.controller', {}, lang), role: 'controller', state: 'running', address: t('diagram.controllerAddress', {}, lang) };
  const clusters: DiagramCluster[] = candidates.map((c) => ({
    id: nid(`net_${c.id}`),
    label: `${c.name ? `${c.id} (${c.name})` : c.id}${c.network ? ` — ${c.network}` : ''}`,
    nodes: c.servers.map((s) => ({ id: nid(`${c.id}_${s.name}`), name: s.name, role: s.role, state: s.state, address: s.address })),
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
  const state = n.role === 'controller' || n.role === 'admin' ? '' : `\\n${t(`diagram.state.${n.state === 'running' ? 'running' : n.state === 'stopped' ? 'stopped' : 'missing'}`, {}, lang)}`;
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
  for (const n of d.outside) out.push(`  ${n.id} [label=${dq(nodeLabel(n, lang)).replace(/\\\\n/g, '\\n')}, shape=component, fillcolor="#e8eef7", color="#1f5fa8"];`);
  for (const c of d.clusters) {
    out.push(`  subgraph cluster_${c.id} {`, `    label=${dq(c.label)}; style="rounded"; color="#999999";`);
    for (const n of c.nodes) out.push(`    ${n.id} [label=${dq(nodeLabel(n, lang)).replace(/\\\\n/g, '\\n')}, ${STATE_STYLE[n.state] ?? STATE_STYLE.missing}];`);
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
  const arrow: Record<FlowKind, string> = { ssh: '-->', sql: '==>', replication: '==>', backup: '-.->', metrics: '-.->', logs: '-.->' };
  for (const e of d.edges) out.push(`  ${e.from} ${arrow[e.kind]}|"${mq(e.label)}"| ${e.to}`);
  for (const c of d.clusters) {
    for (const n of c.nodes) out.push(`  class ${n.id} ${n.state === 'running' ? 'running' : n.state === 'stopped' ? 'stopped' : 'missing'}`);
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
  return svg.replace(/<\?xml[^>]*>\s*/, '').replace(/<!DOCTYPE[^>]*>\s*/, '').replace(/<!--[\s\S]*?-->\s*/g, '');
}
