// On-demand prices of what the AWS stacks create, to show a cost per candidate-hour in `plan`.
// Engine-neutral: it reads planned resources as plain objects (type + attribute values).
//
// Source: AWS public list prices (USD, Linux on-demand, EC2 / EBS / VPC pricing pages), as published
// in 2024-2025. List prices, APPROXIMATE, typed in by hand, not fetched: this tool never calls a
// pricing API. Check https://aws.amazon.com/ec2/pricing/on-demand/ before budgeting a real cohort.
// Not included (usage-based): data transfer, NAT gateway per-GB processing, S3 storage and requests,
// CloudWatch Logs ingestion of the flow logs.

export const PRICES_NOTE = 'AWS on-demand list prices in USD (Linux), approximate, as published 2024-2025; not fetched live';

/** Hours per month AWS uses to turn monthly prices (EBS) into hourly ones. */
export const HOURS_PER_MONTH = 730;

/** A public IPv4 address, in use or idle, per hour (all regions since 2024-02-01). */
export const PUBLIC_IPV4_HOUR = 0.005;

interface RegionPrices {
  /** USD per instance-hour. */
  instances: Record<string, number>;
  /** USD per GiB-month of gp3 storage (baseline 3000 IOPS / 125 MB/s included). */
  gp3GiBMonth: number;
  /** USD per NAT gateway-hour (processing per GB excluded). */
  natGatewayHour: number;
}

export const PRICES: Record<string, RegionPrices> = {
  // Paris
  'eu-west-3': {
    instances: {
      't3.nano': 0.0059,
      't3.micro': 0.0118,
      't3.small': 0.0236,
      't3.medium': 0.0472,
      't3.large': 0.0944,
      't3.xlarge': 0.1888,
      't3a.nano': 0.0053,
      't3a.micro': 0.0106,
      't3a.small': 0.0212,
      't3a.medium': 0.0425,
      't3a.large': 0.085,
    },
    gp3GiBMonth: 0.0928,
    natGatewayHour: 0.048,
  },
  // Ireland
  'eu-west-1': {
    instances: {
      't3.nano': 0.0057,
      't3.micro': 0.0114,
      't3.small': 0.0228,
      't3.medium': 0.0456,
      't3.large': 0.0912,
      't3.xlarge': 0.1824,
      't3a.nano': 0.0051,
      't3a.micro': 0.0102,
      't3a.small': 0.0204,
      't3a.medium': 0.0408,
      't3a.large': 0.0816,
    },
    gp3GiBMonth: 0.088,
    natGatewayHour: 0.048,
  },
  // Frankfurt
  'eu-central-1': {
    instances: {
      't3.nano': 0.006,
      't3.micro': 0.012,
      't3.small': 0.024,
      't3.medium': 0.048,
      't3.large': 0.096,
      't3.xlarge': 0.192,
      't3a.nano': 0.0054,
      't3a.micro': 0.0108,
      't3a.small': 0.0216,
      't3a.medium': 0.0432,
      't3a.large': 0.0864,
    },
    gp3GiBMonth: 0.0952,
    natGatewayHour: 0.052,
  },
  // London
  'eu-west-2': {
    instances: {
      't3.nano': 0.0059,
      't3.micro': 0.0118,
      't3.small': 0.0236,
      't3.medium': 0.0472,
      't3.large': 0.0944,
      't3.xlarge': 0.1888,
      't3a.nano': 0.0053,
      't3a.micro': 0.0106,
      't3a.small': 0.0212,
      't3a.medium': 0.0424,
      't3a.large': 0.0848,
    },
    gp3GiBMonth: 0.0928,
    natGatewayHour: 0.05,
  },
  // Stockholm
  'eu-north-1': {
    instances: {
      't3.nano': 0.0054,
      't3.micro': 0.0108,
      't3.small': 0.0216,
      't3.medium': 0.0432,
      't3.large': 0.0864,
      't3.xlarge': 0.1728,
      't3a.nano': 0.0049,
      't3a.micro': 0.0097,
      't3a.small': 0.0194,
      't3a.medium': 0.0389,
      't3a.large': 0.0778,
    },
    gp3GiBMonth: 0.0836,
    natGatewayHour: 0.046,
  },
};

/** A planned resource as the cost estimate needs it: its type and its planned attribute values. */
export interface PricedResource {
  address: string;
  type: string;
  values: Record<string, unknown>;
}

export interface HourlyCost {
  /** USD per hour of what could be priced. */
  usd: number;
  /** Resources (or parts) that cost money but are missing from the table: the estimate is a lower bound. */
  unpriced: string[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Hourly on-demand cost of a set of planned resources in a region. Free resources count 0. */
export function hourlyCost(resources: PricedResource[], region: string): HourlyCost {
  const p = PRICES[region];
  const out: HourlyCost = { usd: 0, unpriced: [] };
  const gp3 = (gib: number | undefined, what: string) => {
    if (gib === undefined) out.unpriced.push(`${what} (size unknown)`);
    else if (p) out.usd += (gib * p.gp3GiBMonth) / HOURS_PER_MONTH;
  };
  for (const r of resources) {
    const v = r.values;
    switch (r.type) {
      case 'aws_instance': {
        const type = String(v.instance_type);
        const price = p?.instances[type];
        if (price === undefined) out.unpriced.push(`${r.address} (${type})`);
        else out.usd += price;
        const root = Array.isArray(v.root_block_device)
          ? (v.root_block_device[0] as Record<string, unknown> | undefined)
          : undefined;
        // The Debian image's root volume is 8 GiB when the plan does not set a size.
        gp3(num(root?.volume_size) ?? 8, `${r.address} root volume`);
        if (v.associate_public_ip_address === true) out.usd += PUBLIC_IPV4_HOUR;
        break;
      }
      case 'aws_ebs_volume':
        gp3(num(v.size), r.address);
        break;
      case 'aws_nat_gateway':
        if (p) out.usd += p.natGatewayHour;
        break;
      case 'aws_eip':
        out.usd += PUBLIC_IPV4_HOUR;
        break;
      default:
        break; // VPC, subnets, security groups, IAM, S3 configuration: no hourly charge
    }
  }
  if (!p && resources.some((r) => ['aws_instance', 'aws_ebs_volume', 'aws_nat_gateway'].includes(r.type))) {
    out.unpriced.unshift(`region ${region}`);
  }
  return out;
}
