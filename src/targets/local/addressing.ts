// Address plan of the local target: each candidate gets its own subnet cut from
// cohort.local.subnetPool; in it the host (gateway) is .1 and the servers .10, .11, ...
// Pure functions: no host access, unit-tested (test/local-addressing.test.ts).
import ipaddr from 'ipaddr.js';
import { t } from '../../core/i18n/index.ts';
import { LocalError } from './errors.ts';

/** Host number of the first server in a subnet (.10): .2–.9 stay free for the trainer's own use. */
export const FIRST_SERVER_HOST = 10;

const toInt = (ip: ipaddr.IPv4): number => ip.toByteArray().reduce((n, b) => n * 256 + b, 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** An IPv4 CIDR as its network number and prefix length; IPv6 and bad input are errors. */
export function parsePool(cidr: string): { network: number; prefix: number } {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(cidr);
  } catch {
    throw new LocalError(t('local.poolNotIpv4', { pool: cidr }));
  }
  const [addr, prefix] = parsed;
  if (addr.kind() !== 'ipv4') throw new LocalError(t('local.poolNotIpv4', { pool: cidr }));
  const size = 2 ** (32 - prefix);
  return { network: Math.floor(toInt(addr as ipaddr.IPv4) / size) * size, prefix };
}

/** How many /prefix subnets the pool holds. */
export function subnetCapacity(pool: string, prefix: number): number {
  const p = parsePool(pool);
  return prefix < p.prefix ? 0 : 2 ** (prefix - p.prefix);
}

/** The first `count` subnets of /prefix in the pool, in order; an error when they do not fit. */
export function allocateSubnets(pool: string, prefix: number, count: number): string[] {
  const p = parsePool(pool);
  if (!Number.isInteger(prefix) || prefix < p.prefix || prefix > 30) {
    throw new LocalError(t('local.prefixVsPool', { prefix, pool }));
  }
  const capacity = 2 ** (prefix - p.prefix);
  if (count > capacity) throw new LocalError(t('local.poolTooSmall', { pool, prefix, capacity, count }));
  const size = 2 ** (32 - prefix);
  return Array.from({ length: count }, (_, i) => `${intToIp(p.network + i * size)}/${prefix}`);
}

/** Servers that fit in a /prefix subnet from .10 up to the last address before the broadcast. */
export function maxServers(prefix: number): number {
  return Math.max(0, 2 ** (32 - prefix) - 1 - FIRST_SERVER_HOST);
}

/** The host's address on a subnet (.1), without and with the prefix length. */
export function gatewayOf(subnet: string): { ip: string; cidr: string } {
  const { network, prefix } = parsePool(subnet);
  const ip = intToIp(network + 1);
  return { ip, cidr: `${ip}/${prefix}` };
}

/** Addresses (CIDR) of `count` servers in the subnet: .10, .11, ... */
export function serverAddresses(subnet: string, count: number, candidate = ''): string[] {
  const { network, prefix } = parsePool(subnet);
  const max = maxServers(prefix);
  if (count > max) throw new LocalError(t('local.subnetTooSmall', { prefix, max, count, candidate }));
  return Array.from({ length: count }, (_, i) => `${intToIp(network + FIRST_SERVER_HOST + i)}/${prefix}`);
}

/** Do two IPv4 CIDRs overlap? (A plain address counts as a /32.) */
export function overlaps(a: string, b: string): boolean {
  const pa = parsePool(a.includes('/') ? a : `${a}/32`);
  const pb = parsePool(b.includes('/') ? b : `${b}/32`);
  const prefix = Math.min(pa.prefix, pb.prefix);
  const size = 2 ** (32 - prefix);
  return Math.floor(pa.network / size) === Math.floor(pb.network / size);
}
