// The parsers behind the CP2.1 / CP4.1 / CP4.3 checks, on real output captured from a lab server
// (ss -Hltn, nft list ruleset), and the expectations they are compared with (the flows table).
import { describe, expect, it } from 'vitest';
import { listeningPorts, rulesetFlows, servedFlows } from '../src/checks/deployment.ts';
import { parseCohort } from '../src/core/model/load.ts';
import { KEY_A } from './helpers.ts';

const SS_DB = `LISTEN 0      244          0.0.0.0:5432      0.0.0.0:*
LISTEN 0      128          0.0.0.0:22        0.0.0.0:*
LISTEN 0      4096               *:9100            *:*
LISTEN 0      4096               *:9187            *:*
LISTEN 0      128             [::]:22           [::]:*
LISTEN 0      128       10.98.0.13:8432      0.0.0.0:*`;

const NFT_APP = `table inet filter {
	set flow_ssh_v4 {
		type ipv4_addr
	}
	set flow_node_exporter_v4 {
		type ipv4_addr
	}
	set flow_app_metrics_v4 {
		type ipv4_addr
	}
	chain input {
		type filter hook input priority filter; policy drop;
		tcp dport 22 ip saddr @flow_ssh_v4 ct state new accept
		tcp dport 80 ct state new accept
		tcp dport 443 ct state new accept
		tcp dport 8080 ip saddr @flow_app_metrics_v4 ct state new accept
	}
}`;

describe('deployment checks: parsers', () => {
  it('reads the listening ports of ss, IPv4, IPv6 and wildcard alike', () => {
    expect([...listeningPorts(SS_DB)].sort((a, b) => a - b)).toEqual([22, 5432, 8432, 9100, 9187]);
    expect(listeningPorts('')).toEqual(new Set());
  });

  it('reads the flows a ruleset opens: address sets, and ports open to any address', () => {
    const r = rulesetFlows(NFT_APP);
    expect([...r.flows].sort()).toEqual(['app-metrics', 'node-exporter', 'ssh']);
    expect([...r.openToAll].sort()).toEqual([443, 80]);
    // A port opened to all by hand shows up as such.
    expect([...rulesetFlows(`${NFT_APP}\n\t\ttcp dport 3000 ct state new accept`).openToAll]).toContain(3000);
  });

  it("expects a server to serve its role's flows, not those of the application", () => {
    const cohort = parseCohort(`cohort: t\ncandidates:\n  - {id: a, sshKey: ${KEY_A}}\n`, 't.yaml');
    const ctx = { cohort, candidate: cohort.candidates[0]!, servers: [] };
    expect(servedFlows(ctx, 'app').map((f) => f.id)).toEqual(['ssh', 'node-exporter']);
    expect(servedFlows(ctx, 'db').map((f) => f.port)).toEqual(expect.arrayContaining([22, 5432, 8432, 9100, 9187]));
    expect(servedFlows(ctx, 'unknown-role')).toEqual([]);
    const noMonitoring = parseCohort(
      `cohort: t\nmodules: {monitoring: false}\ncandidates:\n  - {id: a, sshKey: ${KEY_A}}\n`,
      't.yaml',
    );
    expect(servedFlows({ ...ctx, cohort: noMonitoring }, 'app').map((f) => f.id)).toEqual(['ssh']);
  });
});
