// Every artifact of the lab (stack, construct, Ansible role, script, check) declares here the
// performance criteria it exercises. Tests check that each criterion exists, that each path
// exists, and that every stack, role and script in the tree is declared.

export type ArtifactKind = 'stack' | 'role' | 'script' | 'check' | 'module';

export interface Artifact {
  kind: ArtifactKind;
  /** Short, self-explaining name. */
  name: string;
  /** Path from the repository root. */
  path: string;
  /** Criterion ids from the registry, e.g. 'CP3.2'. */
  covers: string[];
}

export const ARTIFACTS: Artifact[] = [
  { kind: 'module', name: 'cohort model (zod schema)', path: 'src/model/cohort.ts', covers: ['CP2.2'] },
  // AWS target (CDKTF stacks, offline plan)
  { kind: 'stack', name: 'AWS network stack (VPC, backup bucket, bastion)', path: 'stacks/network-stack.ts', covers: ['CP2.1', 'CP2.2', 'CP4.1', 'CP4.3'] },
  { kind: 'stack', name: 'AWS candidate stack (isolated servers of one candidate)', path: 'stacks/candidate-stack.ts', covers: ['CP2.1', 'CP2.2', 'CP3.2', 'CP4.1'] },
  { kind: 'module', name: 'AWS layout and flow table (ROLE_INGRESS)', path: 'stacks/topology.ts', covers: ['CP2.2', 'CP3.2'] },
  { kind: 'module', name: 'CohortNetwork: VPC over two zones, NAT, flow logs', path: 'stacks/constructs/network.ts', covers: ['CP2.2', 'CP3.2', 'CP4.3'] },
  { kind: 'module', name: 'BackupBucket: versioned, encrypted, private, lifecycle', path: 'stacks/constructs/backup-bucket.ts', covers: ['CP6.2', 'CP6.3', 'CP3.2'] },
  { kind: 'module', name: 'Bastion: single SSH entry from the trainer networks', path: 'stacks/constructs/bastion.ts', covers: ['CP3.2', 'CP4.2'] },
  { kind: 'module', name: 'CandidateEnvironment: security groups and key pair', path: 'stacks/constructs/candidate-environment.ts', covers: ['CP3.2', 'CP2.2'] },
  { kind: 'module', name: 'LabServer: EC2 instance, IMDSv2, encrypted volumes', path: 'stacks/constructs/server.ts', covers: ['CP2.1', 'CP3.2', 'CP4.1', 'CP6.1'] },
  { kind: 'module', name: 'InstanceRole: IAM limited to the candidate backup prefix', path: 'stacks/constructs/instance-role.ts', covers: ['CP6.2', 'CP6.3'] },
  { kind: 'module', name: 'Terraform runner (init, validate, plan, show; offline)', path: 'src/terraform/runner.ts', covers: ['CP2.1', 'CP2.2'] },
  { kind: 'module', name: 'plan reading: counts, tag policy check', path: 'src/terraform/plan-summary.ts', covers: ['CP2.2'] },
  { kind: 'module', name: 'asd-lab plan: per stack and candidate, cost per candidate-hour', path: 'src/cli/commands/plan.ts', covers: ['CP2.2', 'CP4.3'] },
  { kind: 'module', name: 'AWS target documentation (architecture, costs, cross-stack design)', path: 'docs/aws.md', covers: ['CP2.3', 'CP4.3'] },
  // Local target (CP1): golden image, per-candidate networks, servers as containers or VMs
  { kind: 'script', name: 'golden image: debootstrap Debian 12, cached by package-list hash, VM variant', path: 'scripts/build-image.sh', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'create a server (bash): container (nspawn + overlayfs) or VM (qemu)', path: 'scripts/create-server.sh', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'create a server (Python twin, same arguments, same server)', path: 'scripts/create_server.py', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'create a server (PowerShell, Hyper-V, same parameters)', path: 'scripts/New-LabServer.ps1', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'destroy a server (bash)', path: 'scripts/destroy-server.sh', covers: ['CP1.1'] },
  { kind: 'script', name: 'destroy a server (Python twin)', path: 'scripts/destroy_server.py', covers: ['CP1.1'] },
  { kind: 'script', name: 'destroy a server (PowerShell, Hyper-V)', path: 'scripts/Remove-LabServer.ps1', covers: ['CP1.1'] },
  { kind: 'script', name: 'candidate network: bridge, gateway, nftables isolation', path: 'scripts/lab-network.sh', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'KVM probe: can KVM boot Linux on this host?', path: 'scripts/kvm-probe.sh', covers: ['CP1.1'] },
  { kind: 'script', name: 'shared helpers of the local-target scripts', path: 'scripts/lib/common.sh', covers: ['CP1.1'] },
  { kind: 'script', name: 'VM initramfs seed step: applies the per-server identity on first boot', path: 'scripts/image/initramfs-seed', covers: ['CP1.1', 'CP1.2'] },
  { kind: 'script', name: 'VM initramfs hook (tools of the seed step)', path: 'scripts/image/initramfs-hook', covers: ['CP1.1'] },
  { kind: 'module', name: 'local target API: address plan, naming, preflight, drivers', path: 'src/local/index.ts', covers: ['CP1.1', 'CP1.2', 'CP2.2'] },
  { kind: 'module', name: 'local target documentation (image, overlay, cgroups, bridges, VM driver)', path: 'docs/local.md', covers: ['CP1.3', 'CP2.3'] },
  // Kubernetes description of the reference application (kustomize, validated offline)
  { kind: 'module', name: 'Kubernetes base of the reference app (kustomize): API, worker, PostgreSQL access', path: 'k8s/base/kustomization.yaml', covers: ['CP8.3', 'CP7.1', 'CP7.2'] },
  { kind: 'module', name: 'API Deployment: sized, probed, restricted, rolling update (maxUnavailable 0)', path: 'k8s/base/api/deployment.yaml', covers: ['CP7.1', 'CP7.4', 'CP8.3', 'CP8.4'] },
  { kind: 'module', name: 'worker Deployment and its PersistentVolumeClaim', path: 'k8s/base/worker/deployment.yaml', covers: ['CP7.1', 'CP7.3', 'CP8.3'] },
  { kind: 'module', name: 'external PostgreSQL: Service without selector and EndpointSlice', path: 'k8s/base/postgres/service.yaml', covers: ['CP7.2', 'CP7.3'] },
  { kind: 'module', name: 'NetworkPolicies: default deny plus the flows the app needs', path: 'k8s/base/network/default-deny.yaml', covers: ['CP7.2'] },
  { kind: 'module', name: 'Kubernetes test environment (overlay asd-test)', path: 'k8s/overlays/test/kustomization.yaml', covers: ['CP5.1'] },
  { kind: 'module', name: 'Kubernetes pre-production environment (overlay asd-preprod)', path: 'k8s/overlays/preprod/kustomization.yaml', covers: ['CP8.1'] },
  { kind: 'module', name: 'Kubernetes production environment (overlay asd-prod, Ingress)', path: 'k8s/overlays/prod/kustomization.yaml', covers: ['CP8.1', 'CP8.4'] },
  { kind: 'check', name: 'preprod/prod parity: only replicas, resources and host names may differ', path: 'src/k8s/parity.ts', covers: ['CP8.1'] },
  { kind: 'check', name: 'schema validation against Kubernetes v1.33 (kubernetes-models, pinned)', path: 'src/k8s/schema.ts', covers: ['CP8.3'] },
  { kind: 'check', name: 'Pod Security "restricted" profile as code', path: 'src/k8s/pod-security.ts', covers: ['CP8.3', 'CP7.1'] },
  { kind: 'check', name: 'lab rules: requests/limits, probes, rollout, PDB, storage, secrets, network flows', path: 'src/k8s/workload-policy.ts', covers: ['CP8.3', 'CP7.1', 'CP7.2'] },
  { kind: 'module', name: 'kustomize rendering with the kubectl client (no cluster)', path: 'src/k8s/render.ts', covers: ['CP8.3'] },
  { kind: 'module', name: 'retarget a rendered overlay: candidate namespace, host, database address', path: 'src/k8s/retarget.ts', covers: ['CP8.4'] },
  { kind: 'module', name: 'Kubernetes documentation (layout, parity rule, apply, podman limits)', path: 'docs/kubernetes.md', covers: ['CP8.1', 'CP8.3'] },
  { kind: 'stack', name: 'Kubernetes stack per candidate: namespaces test/preprod/prod, quota, limits, RBAC, the app derived from k8s/', path: 'stacks/k8s-stack.ts', covers: ['CP8.1', 'CP8.3', 'CP7.1'] },
  { kind: 'module', name: 'Kubernetes objects <-> hashicorp/kubernetes resources, from the pinned provider bindings', path: 'src/k8s/provider-schema.ts', covers: ['CP8.3'] },
  { kind: 'module', name: 'candidate tenancy: quota and limits sized from the app, RBAC in their namespaces only', path: 'src/k8s/tenancy.ts', covers: ['CP8.3', 'CP7.1'] },
  { kind: 'check', name: 'synthesized Kubernetes stacks validated offline (schemas, Pod Security)', path: 'src/k8s/stack-validation.ts', covers: ['CP8.3'] },
  { kind: 'module', name: 'asd-lab k8s apply: render, retarget, apply, wait for the rollout', path: 'src/k8s/apply.ts', covers: ['CP8.4'] },
  { kind: 'module', name: 'CI/CD pipeline defined once: build, tests, image, deploy test, smoke, preprod, approval, prod', path: 'src/pipeline/definition.ts', covers: ['CP5.1', 'CP5.2', 'CP5.3', 'CP5.4', 'CP8.2', 'CP8.4'] },
  { kind: 'module', name: 'GitLab CI/CD file generated from the pipeline definition', path: '.gitlab-ci.yml', covers: ['CP5.3', 'CP5.4', 'CP8.2'] },
  { kind: 'module', name: 'GitHub Actions workflow generated from the pipeline definition', path: '.github/workflows/lab-pipeline.yml', covers: ['CP5.3', 'CP5.4', 'CP8.2'] },
  { kind: 'module', name: 'asd-lab pipeline run: the stages here, approval gate, run report with the defect report', path: 'src/pipeline/run.ts', covers: ['CP5.3', 'CP5.4', 'CP8.2'] },
  { kind: 'module', name: 'pipeline documentation (forges, approval, local run, report)', path: 'docs/pipeline.md', covers: ['CP5.4', 'CP8.2'] },
  // Supervision as a library (CP9, CP10): indicators, SLOs, rules, routing, dashboards, runbooks
  { kind: 'module', name: 'monitoring indicators: resources, security, application, data, availability', path: 'src/monitoring/indicators.ts', covers: ['CP9.1', 'CP9.3', 'CP10.1'] },
  { kind: 'module', name: 'SLO per environment (zod block for the cohort model)', path: 'src/monitoring/slo.ts', covers: ['CP9.2'] },
  { kind: 'module', name: 'SLO recording rules and multi-window burn-rate alerts, per environment', path: 'src/monitoring/slo-rules.ts', covers: ['CP9.2', 'CP10.2'] },
  { kind: 'module', name: 'threshold alerts with severity, team and runbook', path: 'src/monitoring/alerts.ts', covers: ['CP10.1', 'CP10.2'] },
  { kind: 'module', name: 'scrape jobs and file_sd targets from the inventory (agents on every server)', path: 'src/monitoring/scrape-jobs.ts', covers: ['CP9.3', 'CP10.1'] },
  { kind: 'module', name: 'prometheus.yml: HTTPS scrapes, lab CA, basic auth', path: 'src/monitoring/prometheus-config.ts', covers: ['CP9.3', 'CP10.1'] },
  { kind: 'module', name: 'alertmanager.yml: routing by team, grouping, inhibition', path: 'src/monitoring/alertmanager-config.ts', covers: ['CP10.2'] },
  { kind: 'module', name: 'Grafana dashboards generated from the indicators', path: 'src/monitoring/dashboards.ts', covers: ['CP9.1', 'CP10.1'] },
  { kind: 'module', name: 'monitoring generator (npm run monitoring)', path: 'src/monitoring/build.ts', covers: ['CP9.1', 'CP10.1'] },
  { kind: 'check', name: 'promtool unit tests: every alert fires and stays quiet', path: 'monitoring/tests/slo.test.yml', covers: ['CP9.2', 'CP10.2'] },
  { kind: 'module', name: 'indicator reference (generated): PromQL, unit, SLO, team, alerts', path: 'docs/indicators.md', covers: ['CP9.1', 'CP9.2', 'CP9.3'] },
  { kind: 'module', name: 'runbooks: one per alert, how to interpret and who fixes', path: 'docs/runbooks/NodeDown.md', covers: ['CP10.2'] },
  // Supervision deployed (CP9, CP10): agents on every server over TLS, Prometheus, alerts that really arrive
  { kind: 'module', name: 'Ansible playbook of the monitoring module (agents, mon server)', path: 'ansible/monitoring.yml', covers: ['CP9.1', 'CP10.1'] },
  { kind: 'role', name: 'monitoring_web: cohort scrape credential (bcrypt), exporters\' TLS + basic auth web config', path: 'ansible/roles/monitoring_web', covers: ['CP10.1', 'CP3.2'] },
  { kind: 'role', name: 'node_exporter: the agent of every server, HTTPS only', path: 'ansible/roles/node_exporter', covers: ['CP9.1', 'CP9.3', 'CP10.1'] },
  { kind: 'role', name: 'security_metrics: SSH failures, root/password logins, pending updates (textfile collector)', path: 'ansible/roles/security_metrics', covers: ['CP9.1', 'CP9.3', 'CP10.2'] },
  { kind: 'role', name: 'postgres_exporter: PostgreSQL metrics over HTTPS, peer authentication', path: 'ansible/roles/postgres_exporter', covers: ['CP9.1', 'CP9.3'] },
  { kind: 'role', name: 'blackbox: HTTPS, SSH, PostgreSQL and TLS certificate probes', path: 'ansible/roles/blackbox', covers: ['CP9.3', 'CP10.1'] },
  { kind: 'role', name: 'alertmanager: routing by team to the lab receiver', path: 'ansible/roles/alertmanager', covers: ['CP10.2'] },
  { kind: 'role', name: 'alert_receiver: hardened webhook receiver writing the event log', path: 'ansible/roles/alert_receiver', covers: ['CP10.2'] },
  { kind: 'role', name: 'prometheus: generated rules and config, targets from the inventory, UI behind auth', path: 'ansible/roles/prometheus', covers: ['CP9.1', 'CP9.2', 'CP10.1'] },
  { kind: 'role', name: 'syslog: journald -> rsyslog -> mon over mutual TLS', path: 'ansible/roles/syslog', covers: ['CP10.1', 'CP3.2'] },
  { kind: 'module', name: 'asd-lab alerts: what Alertmanager holds (name, severity, team, state, since)', path: 'src/cli/commands/alerts.ts', covers: ['CP10.2'] },
  { kind: 'module', name: 'asd-lab drill: fault injection and timed alert timeline', path: 'src/monitoring/drills.ts', covers: ['CP10.2'] },
  { kind: 'module', name: 'supervision deployment and operation guide', path: 'docs/monitoring.md', covers: ['CP9.1', 'CP10.1', 'CP10.2'] },
  // Data storage (CP6): PostgreSQL primary + replica, rights from the model, pgBackRest backups proven by restore
  { kind: 'module', name: 'data model: applications x environments, access sources, backup retention (zod)', path: 'src/data/model.ts', covers: ['CP6.2', 'CP6.3'] },
  { kind: 'module', name: 'roles, grants, pg_hba lines and firewall rules generated from the data model', path: 'src/data/generate.ts', covers: ['CP6.2', 'CP3.2'] },
  { kind: 'module', name: 'data_* inventory variables of the db and mon servers', path: 'src/data/inventory.ts', covers: ['CP6.1', 'CP6.2'] },
  { kind: 'module', name: 'database operations: backup, restore check, failover, status, measured lag', path: 'src/data/ops.ts', covers: ['CP6.1', 'CP6.3'] },
  { kind: 'module', name: 'asd-lab db backup|restore-check|failover|status', path: 'src/cli/commands/db.ts', covers: ['CP6.1', 'CP6.3'] },
  { kind: 'check', name: 'CP6 checks: servers operational, access rights tried for real, backup and restore check', path: 'src/verify/data.ts', covers: ['CP6.1', 'CP6.2', 'CP6.3'] },
  { kind: 'module', name: 'Ansible playbook of the data module', path: 'ansible/data.yml', covers: ['CP6.1', 'CP6.2', 'CP6.3'] },
  { kind: 'role', name: 'postgresql: cluster on its own path, TLS, streaming replica, roles/grants/pg_hba from the model, schema scripts', path: 'ansible/roles/postgresql', covers: ['CP6.1', 'CP6.2', 'CP3.2'] },
  { kind: 'role', name: 'pgbackrest: encrypted repository on mon over mutual TLS, WAL archiving, timers, restore check', path: 'ansible/roles/pgbackrest', covers: ['CP6.3', 'CP3.2'] },
  { kind: 'script', name: 'schema migrations applied by the role, once each, with checksums', path: 'ansible/roles/postgresql/files/asd-lab-migrate', covers: ['CP6.2'] },
  { kind: 'module', name: 'data storage documentation: layout, rights matrix, recovery procedures', path: 'docs/data.md', covers: ['CP6.1', 'CP6.2', 'CP6.3'] },
  // Ansible base layer of every server, local and AWS targets (CP2, CP3)
  { kind: 'module', name: 'Ansible playbook: inventory check, base roles by group', path: 'ansible/site.yml', covers: ['CP2.1', 'CP2.2'] },
  { kind: 'module', name: 'Ansible layer documentation (inventory format, accounts, sudo decision)', path: 'ansible/README.md', covers: ['CP2.3'] },
  { kind: 'role', name: 'common: accounts, time, base packages, persistent journald, hostname', path: 'ansible/roles/common', covers: ['CP2.1', 'CP2.2', 'CP3.2'] },
  { kind: 'role', name: 'ssh: key-only OpenSSH, no root, modern algorithms, validated before reload', path: 'ansible/roles/ssh', covers: ['CP3.2'] },
  { kind: 'role', name: 'firewall: nftables default drop, per-role ports, no controller lock-out', path: 'ansible/roles/firewall', covers: ['CP3.2', 'CP2.2', 'CP4.2'] },
  { kind: 'role', name: 'pki: cohort CA on the controller, one certificate per server', path: 'ansible/roles/pki', covers: ['CP3.2', 'CP2.2'] },
  { kind: 'role', name: 'hardening: ANSSI BP-028, staged security updates test/preprod/prod', path: 'ansible/roles/hardening', covers: ['CP3.1', 'CP3.2', 'CP2.3'] },
  { kind: 'script', name: 'update gate: holds security updates younger than the stage delay', path: 'ansible/roles/hardening/files/asd-update-gate', covers: ['CP3.1'] },
  { kind: 'check', name: 'end-to-end test on nspawn: converge, changed=0, SSH refusals, nftables, lynis', path: 'ansible/tests/run-nspawn-test.sh', covers: ['CP2.1', 'CP3.1', 'CP3.2'] },
];
