// The firewall-drop metrics of role security_metrics (asd-nft-metrics): the JSON of
// `nft -j list counters` becomes asd_nftables_dropped_{packets,bytes}_total{chain}; and the firewall
// role's ruleset declares the named counters that feed it, last rule of each drop-policy chain.
// Needs python3 (the script's own interpreter on the servers); no server, no root.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/core/repo.ts';
import { TEXTFILE_METRICS } from '../src/modules/monitoring/contracts.ts';

const SCRIPT = resolve(REPO_ROOT, 'ansible/roles/security_metrics/files/asd-nft-metrics');

/** Call a function of the script (loaded as a module, main() not run) on a JSON argument. */
function call(fn: 'drops' | 'render', arg: unknown): unknown {
  const code = `import importlib.machinery, importlib.util, json, sys
l = importlib.machinery.SourceFileLoader('m', sys.argv[1]); s = importlib.util.spec_from_loader('m', l); m = importlib.util.module_from_spec(s); l.exec_module(m)
arg = json.loads(sys.argv[3])
if sys.argv[2] == 'render': arg = {k: tuple(v) for k, v in arg.items()}
r = getattr(m, sys.argv[2])(arg)
print(json.dumps(r))`;
  return JSON.parse(execFileSync('python3', ['-c', code, SCRIPT, fn, JSON.stringify(arg)], { encoding: 'utf8' }));
}

// What `nft -j list counters table inet asd_lab` prints (nftables 1.0.6), plus what must be ignored.
const NFT_JSON = {
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { counter: { family: 'inet', name: 'input_dropped', table: 'asd_lab', handle: 4, packets: 1234, bytes: 74040 } },
    { counter: { family: 'inet', name: 'forward_dropped', table: 'asd_lab', handle: 5, packets: 7, bytes: 420 } },
    // another table's counter, a counter that is not a drop counter, a malformed one
    { counter: { family: 'ip', name: 'input_dropped', table: 'docker', handle: 1, packets: 99, bytes: 99 } },
    { counter: { family: 'inet', name: 'ssh_accepted', table: 'asd_lab', handle: 6, packets: 5, bytes: 5 } },
    { counter: { family: 'inet', name: '_dropped', table: 'asd_lab', handle: 7, packets: 5, bytes: 5 } },
    { counter: { family: 'inet', name: 'output_dropped', table: 'asd_lab', handle: 8, packets: '5', bytes: 5 } },
  ],
};

describe('asd-nft-metrics: nft JSON -> textfile metrics', () => {
  it('keeps the *_dropped counters of table inet asd_lab only, per chain', () => {
    expect(call('drops', NFT_JSON)).toEqual({ input: [1234, 74040], forward: [7, 420] });
    expect(call('drops', { nftables: [] })).toEqual({});
    expect(call('drops', [])).toEqual({});
  });

  it('writes one counter series per chain, packets and bytes, with HELP and TYPE', () => {
    const text = call('render', { input: [1234, 74040], forward: [7, 420] }) as string;
    const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(series).toEqual([
      'asd_nftables_dropped_packets_total{chain="forward"} 7',
      'asd_nftables_dropped_packets_total{chain="input"} 1234',
      'asd_nftables_dropped_bytes_total{chain="forward"} 420',
      'asd_nftables_dropped_bytes_total{chain="input"} 74040',
    ]);
    expect(text).toContain('# TYPE asd_nftables_dropped_packets_total counter');
    expect(text).toContain('# TYPE asd_nftables_dropped_bytes_total counter');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('is what the metric contract announces (name, type, label chain)', () => {
    const c = TEXTFILE_METRICS.find((m) => m.name === 'asd_nftables_dropped_packets_total')!;
    expect(c).toMatchObject({ type: 'counter', labels: ['chain'] });
    expect(c.producer).toContain('asd-nft-metrics');
    expect(c.producer).toContain('asd_nftables.prom');
  });
});

describe('the firewall ruleset feeds it', () => {
  const tpl = readFileSync(resolve(REPO_ROOT, 'ansible/roles/firewall/templates/nftables.conf.j2'), 'utf8');
  /** The body of a chain in the template, up to its closing brace at one tab. */
  const chain = (name: string) => new RegExp(`\\tchain ${name} \\{\\n([\\s\\S]*?)\\n\\t\\}`).exec(tpl)![1]!;
  const lastRule = (body: string) =>
    body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('{%'))
      .at(-1);

  it('declares the named counters in table inet asd_lab', () => {
    expect(tpl).toMatch(/\n\tcounter input_dropped \{\n\t\}/);
    expect(tpl).toMatch(/\n\tcounter forward_dropped \{\n\t\}/);
  });

  it('references them as the last rule of the input chain and of the forward chain', () => {
    expect(lastRule(chain('input'))).toBe('counter name "input_dropped"');
    expect(lastRule(chain('forward'))).toBe('counter name "forward_dropped"');
    expect(chain('input')).toContain('policy drop;');
  });
});
