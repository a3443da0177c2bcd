// Exporter-toolkit web configuration (--web.config.file), shared by node_exporter,
// postgres_exporter, blackbox_exporter, Prometheus and Alertmanager: TLS with the server's
// certificate from the lab PKI, and basic authentication. The committed file is a template: the
// deployment fills the bcrypt hash of the scrape password (the password itself stays in a file
// readable by Prometheus only).
import { stringify } from 'yaml';
import type { MonitoringOptions } from './options.ts';
import { GENERATED_HEADER } from './rules.ts';

/** Template variable that receives the bcrypt hash of the scrape password. */
export const PASSWORD_HASH_VARIABLE = 'monitoring_scrape_password_bcrypt';

/**
 * The web configuration, given user -> bcrypt hash. Only fields that every exporter-toolkit of
 * Debian 12's exporters knows (an unknown field stops the exporter).
 */
export function webConfig(opts: MonitoringOptions, users: Record<string, string>): Record<string, unknown> {
  return {
    tls_server_config: { cert_file: opts.paths.certFile, key_file: opts.paths.keyFile, min_version: 'TLS12' },
    basic_auth_users: users,
  };
}

/** The template, with a Jinja placeholder for the hash. */
export function renderWebConfigTemplate(opts: MonitoringOptions): string {
  return (
    GENERATED_HEADER + stringify(webConfig(opts, { [opts.scrapeUser]: `{{ ${PASSWORD_HASH_VARIABLE} }}` }), { lineWidth: 0 })
  );
}

/** The same file with a real hash, as the deployment renders it (used by the tests to validate it). */
export function renderWebConfig(opts: MonitoringOptions, bcryptHash: string): string {
  if (!/^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(bcryptHash))
    throw new Error(`not a bcrypt hash: ${bcryptHash.slice(0, 7)}...`);
  return GENERATED_HEADER + stringify(webConfig(opts, { [opts.scrapeUser]: bcryptHash }), { lineWidth: 0 });
}
