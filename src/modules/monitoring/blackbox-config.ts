// blackbox.yml: the probe modules the probe jobs of prometheus.yml name. Probes check TLS against
// the cohort CA, so an untrusted or expired certificate fails the probe.
import { stringify } from 'yaml';
import type { MonitoringOptions } from './options.ts';
import { GENERATED_HEADER } from './rules.ts';
import { SCRAPE_JOBS } from './scrape-jobs.ts';

export function blackboxConfig(opts: MonitoringOptions): Record<string, unknown> {
  const tls = { ca_file: opts.paths.caFile, min_version: 'TLS12' };
  const modules: Record<string, unknown> = {
    http_2xx: {
      prober: 'http',
      timeout: '5s',
      http: { preferred_ip_protocol: 'ip4', fail_if_not_ssl: true, tls_config: tls },
    },
    ssh_banner: {
      prober: 'tcp',
      timeout: '5s',
      // Answer with an identification string before closing: a client that leaves without one is
      // what fail2ban's aggressive sshd filter bans ("kex_exchange_identification"), and the
      // probe would get the mon server banned from every server's SSH.
      tcp: {
        preferred_ip_protocol: 'ip4',
        query_response: [{ expect: '^SSH-2.0-' }, { send: 'SSH-2.0-asd-lab-blackbox-probe' }],
      },
    },
    tcp_connect: {
      prober: 'tcp',
      timeout: '5s',
      tcp: { preferred_ip_protocol: 'ip4' },
    },
    tls_connect: {
      prober: 'tcp',
      timeout: '5s',
      tcp: { preferred_ip_protocol: 'ip4', tls: true, tls_config: tls },
    },
  };
  // Fail here rather than at probe time if a job names a module this file lacks.
  for (const j of SCRAPE_JOBS) {
    if (j.kind === 'probe' && !(j.blackboxModule in modules))
      throw new Error(`blackbox: job ${j.name} uses unknown module ${j.blackboxModule}`);
  }
  return { modules };
}

export function renderBlackboxConfig(opts: MonitoringOptions): string {
  return GENERATED_HEADER + stringify(blackboxConfig(opts), { lineWidth: 0 });
}
