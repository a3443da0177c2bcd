// The machine image of every instance: the official Debian 12 (bookworm) amd64 AMI of the Debian
// cloud team (AWS owner 136693071363). An offline plan cannot look it up (data "aws_ami" calls the
// EC2 API), so the id is PINNED per region, in this map or through `--ami` / ASD_LAB_AMI, and reaches
// Terraform as the variable `debian_ami_id` (which `-var debian_ami_id=...` can still override).
//
// To pin a region, on a machine with AWS credentials:
//   aws ec2 describe-images --region eu-west-3 --owners 136693071363 \
//     --filters 'Name=name,Values=debian-12-amd64-*' 'Name=architecture,Values=x86_64' \
//     --query 'sort_by(Images,&CreationDate)[-1].[ImageId,Name]' --output text
// and add `'eu-west-3': 'ami-…', // debian-12-amd64-YYYYMMDD-NNNN` below. Re-pinning replaces the
// instances on the next apply: that is how image updates are rolled out (test cohort first, CP3.1).
//
// The map is deliberately empty: this code was written without AWS access, and an AMI id must never
// be guessed. Until a region is pinned, plans show the AMI as a placeholder and the stacks refuse to
// apply (precondition on every instance), so nothing boots from an unverified image.

/** Pinned Debian 12 amd64 AMI ids, by region. */
export const DEBIAN12_AMD64_AMIS: Readonly<Record<string, string>> = {};

/** The Debian cloud team's AWS account: the only owner the AMI lookup accepts. */
export const DEBIAN_OWNER = '136693071363';

export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/** Shown as the instances' AMI in a plan when no id is pinned; never applied (see the precondition). */
export const AMI_PLACEHOLDER = 'ami-unpinned-debian-12-amd64';

/** The id to use: explicit option first, then the environment, then the pinned map; '' when unknown. */
export function debianAmiFor(region: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit || env.ASD_LAB_AMI || DEBIAN12_AMD64_AMIS[region] || '';
}
