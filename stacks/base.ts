// What every asd-lab stack shares: local state under the state dir, the AWS provider with the
// cohort's default tags, the two guard variables, and readable resource addresses.
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { LocalBackend, TerraformElement, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct, Node } from 'constructs';
import { AMI_ID, AMI_PLACEHOLDER } from './ami.ts';

export interface LabStackProps {
  cohort: string;
  expires: string;
  region: string;
  /** Root of the local state files: <stateDir>/<stack>/terraform.tfstate (absolute). */
  stateDir: string;
  /** Pinned Debian 12 AMI id, '' when none is pinned for the region. */
  amiId: string;
  candidate?: string;
  /** Keys of asd-admin on every server: the trainers', and the lab key when up passes it. */
  adminKeys: string[];
}

export const statePath = (stateDir: string, stack: string) => join(stateDir, stack, 'terraform.tfstate');

export class LabStack extends TerraformStack {
  readonly props: LabStackProps;
  readonly tags: Record<string, string>;
  /** True only for previews: lets a plan use placeholders (network not applied yet, AMI not pinned). */
  readonly planOnly: TerraformVariable;
  readonly amiId: TerraformVariable;
  /** false in an offline run (the override file sets it): no data source may call an AWS API. */
  readonly awsLookups: TerraformVariable;

  constructor(scope: Construct, name: string, props: LabStackProps) {
    super(scope, name);
    this.props = props;
    this.tags = {
      cohort: props.cohort,
      expires: props.expires,
      'managed-by': 'asd-lab',
      stack: name,
      ...(props.candidate ? { candidate: props.candidate } : {}),
    };
    new LocalBackend(this, { path: statePath(props.stateDir, name) });
    new AwsProvider(this, 'aws', { region: props.region, defaultTags: [{ tags: this.tags }] });
    this.planOnly = new TerraformVariable(this, 'plan_only', {
      type: 'bool',
      default: false,
      description:
        'true for previews only (asd-lab plan): accept placeholders for the network outputs and the AMI. Never apply with it.',
    });
    this.awsLookups = new TerraformVariable(this, 'aws_lookups', {
      type: 'bool',
      default: true,
      description:
        'true: read AWS (the Debian AMI when none is pinned, the instance types of the zones, the account). The offline override of asd-lab plan --offline sets it to false.',
    });
    this.amiId = new TerraformVariable(this, 'debian_ami_id', {
      type: 'string',
      default: props.amiId,
      description: 'Debian 12 amd64 AMI of the region (owner 136693071363); see stacks/ami.ts',
      validation: [
        {
          condition: `\${var.debian_ami_id == "" || can(regex("${AMI_ID.source}", var.debian_ami_id))}`,
          errorMessage: 'debian_ami_id must be an AMI id such as ami-0123456789abcdef0 (or empty when not pinned yet).',
        },
      ],
    });
  }

  /**
   * The AMI expression: the pinned id, else what the stack resolved (the network stack's aws_ami
   * lookup, which the candidate stacks read from its outputs), else a visible placeholder that the
   * instance precondition refuses to apply. Set by each stack (resolvedAmi).
   */
  get ami(): string {
    return '${local.debian_ami}';
  }

  /** Precondition on every instance: no apply from an unpinned, unresolved image. */
  get amiGuard() {
    return {
      condition: `\${local.debian_ami != "${AMI_PLACEHOLDER}" || var.plan_only}`,
      errorMessage: `No Debian 12 AMI for ${this.props.region}: none pinned (--ami, -var debian_ami_id=ami-...) and none looked up (offline run, or the network stack not applied yet); see docs/aws.md.`,
    };
  }

  /** Readable, stable addresses (aws_instance.server_db1) instead of cdktf's hashed ids. */
  protected override allocateLogicalId(el: TerraformElement | Node): string {
    const scopes = (TerraformElement.isTerraformElement(el) ? el.node : el).scopes;
    const components = scopes.slice(scopes.indexOf(this) + 1).map((c) => c.node.id);
    return components.join('_');
  }
}
