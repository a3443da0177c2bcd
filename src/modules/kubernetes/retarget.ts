// From a rendered overlay to one candidate's environment: the deploy step (the later CDKTF
// Kubernetes stacks) renders k8s/overlays/<env>, then sets the namespace (<candidate>-<env>), the
// Ingress host and the address of the candidate's PostgreSQL server here, so that the committed
// overlays stay generic. Pure: returns new objects, checks every input before changing anything.
import ipaddr from 'ipaddr.js';
import { isObject, type K8sObject } from './render.ts';
import { AsdError } from '../../core/errors.ts';

export interface Target {
  /** Namespace, e.g. "alice-prod" (DNS label, at most 63 characters). */
  namespace?: string;
  /** Host name of the Ingress, e.g. "api.alice.asd-2027.asd-lab.internal". */
  host?: string;
  /** IPv4 address of the PostgreSQL primary. */
  postgresAddress?: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const POSTGRES_SERVICE = 'postgres';

/** A namespace, host or database address that cannot be applied to the manifests: kind 'user'. */
export class RetargetError extends AsdError {
  declare readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.join('\n'), { kind: 'user', problems });
  }
}

export function retarget(objects: K8sObject[], target: Target): K8sObject[] {
  const problems: string[] = [];
  const { namespace, host, postgresAddress } = target;
  if (namespace !== undefined && !DNS_LABEL.test(namespace)) {
    problems.push(
      `namespace ${JSON.stringify(namespace)} must be a DNS label (lowercase letters, digits and "-", at most 63 characters)`,
    );
  }
  if (host !== undefined && (host.length > 253 || !host.split('.').every((l) => DNS_LABEL.test(l)) || !host.includes('.'))) {
    problems.push(`host ${JSON.stringify(host)} must be a fully qualified DNS name such as api.alice.asd-lab.internal`);
  }
  if (postgresAddress !== undefined && !ipaddr.IPv4.isValidFourPartDecimal(postgresAddress)) {
    problems.push(`postgresAddress ${JSON.stringify(postgresAddress)} must be an IPv4 address such as 10.98.1.12`);
  }
  const ingresses = objects.filter((o) => o.kind === 'Ingress');
  if (host !== undefined && ingresses.length !== 1)
    problems.push(`setting the host needs exactly one Ingress, found ${ingresses.length}`);
  const slices = objects.filter(
    (o) => o.kind === 'EndpointSlice' && o.metadata.labels?.['kubernetes.io/service-name'] === POSTGRES_SERVICE,
  );
  const oldAddresses = slices.flatMap((s) =>
    (Array.isArray(s.endpoints) ? s.endpoints : []).flatMap((e: unknown) =>
      isObject(e) && Array.isArray(e.addresses) ? e.addresses.map(String) : [],
    ),
  );
  if (postgresAddress !== undefined && oldAddresses.length !== 1) {
    problems.push(
      `setting the PostgreSQL address needs exactly one address in the EndpointSlice of Service "${POSTGRES_SERVICE}", found ${oldAddresses.length}`,
    );
  }
  if (problems.length > 0) throw new RetargetError(problems);

  const oldCidr = `${oldAddresses[0]}/32`;
  return objects.map((src) => {
    const o = structuredClone(src);
    if (namespace !== undefined) {
      if (o.kind === 'Namespace') {
        o.metadata.name = namespace;
        if (o.metadata.labels?.['kubernetes.io/metadata.name'] !== undefined)
          o.metadata.labels['kubernetes.io/metadata.name'] = namespace;
      } else if (o.metadata.namespace !== undefined) {
        o.metadata.namespace = namespace;
      }
    }
    if (host !== undefined && o.kind === 'Ingress') {
      const spec = o.spec as { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
      for (const rule of spec.rules ?? []) rule.host = host;
      for (const tls of spec.tls ?? []) tls.hosts = [host];
    }
    if (postgresAddress !== undefined) {
      if (slices.some((s) => s.metadata.name === o.metadata.name && o.kind === 'EndpointSlice')) {
        for (const e of o.endpoints as { addresses: string[] }[]) e.addresses = [postgresAddress];
      }
      if (o.kind === 'NetworkPolicy') {
        const spec = o.spec as { egress?: { to?: { ipBlock?: { cidr: string } }[] }[] };
        for (const rule of spec.egress ?? []) {
          for (const peer of rule.to ?? []) if (peer.ipBlock?.cidr === oldCidr) peer.ipBlock.cidr = `${postgresAddress}/32`;
        }
      }
    }
    return o;
  });
}
