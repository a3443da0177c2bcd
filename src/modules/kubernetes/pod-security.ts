// The Pod Security Standards, "restricted" profile, as code: every check that the Pod Security
// Admission controller runs for `pod-security.kubernetes.io/enforce: restricted` at policy
// version v1.33 (the version the namespaces pin), i.e. all Baseline checks plus the Restricted
// ones, with the Restricted checks replacing the Baseline checks they tighten (volumes, seccomp,
// capabilities). Written from the controller's checks (k8s.io/pod-security-admission/policy),
// one function per check id; the ids are the controller's own so that a violation can be looked
// up there. Also applied: hostProbesAndHostLifecycle (Baseline from v1.34), so that the
// manifests keep passing on the next version.
import { isObject, objectId, type K8sObject } from './render.ts';

export interface PodSecurityViolation {
  /** The controller's check id, e.g. "allowPrivilegeEscalation". */
  check: string;
  /** Field path from the pod spec, e.g. spec.containers[0].securityContext.allowPrivilegeEscalation. */
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isObject(v) ? v : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

interface ContainerRef {
  c: Obj;
  /** spec.containers[0] ... */
  path: string;
  name: string;
}

function containersOf(spec: Obj, base: string): ContainerRef[] {
  return (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) =>
    list(spec[field]).map((c, i) => ({ c, path: `${base}.${field}[${i}]`, name: String(c.name ?? `#${i}`) })),
  );
}

const sc = (c: Obj) => obj(c.securityContext);

/** Baseline: allowed capabilities to add (restricted narrows it to NET_BIND_SERVICE). */
export const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
/** Sysctls safe at policy v1.32 and later. */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];
/** Volume sources allowed by restricted (image since v1.33). */
export const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
const SELINUX_TYPES = ['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const SECCOMP_OK = ['RuntimeDefault', 'Localhost'];

type Check = (meta: Obj, spec: Obj, base: string) => PodSecurityViolation[];

const CHECKS: Record<string, Check> = {
  // ---- Baseline ----
  hostNamespaces: (_m, spec, base) =>
    (['hostNetwork', 'hostPID', 'hostIPC'] as const)
      .filter((f) => spec[f] === true)
      .map((f) => ({ check: 'hostNamespaces', path: `${base}.${f}`, message: `${f}=true shares the host's namespace` })),

  privileged: (_m, spec, base) =>
    containersOf(spec, base)
      .filter(({ c }) => sc(c).privileged === true)
      .map(({ path, name }) => ({
        check: 'privileged',
        path: `${path}.securityContext.privileged`,
        message: `container "${name}" is privileged`,
      })),

  hostPorts: (_m, spec, base) =>
    containersOf(spec, base).flatMap(({ c, path, name }) =>
      list(c.ports).flatMap((p, i) =>
        p.hostPort !== undefined && p.hostPort !== 0
          ? [
              {
                check: 'hostPorts',
                path: `${path}.ports[${i}].hostPort`,
                message: `container "${name}" uses hostPort ${String(p.hostPort)}`,
              },
            ]
          : [],
      ),
    ),

  appArmorProfile: (meta, spec, base) => {
    const out: PodSecurityViolation[] = [];
    const okType = (t: unknown) => t === undefined || t === 'RuntimeDefault' || t === 'Localhost';
    const podType = obj(obj(spec.securityContext).appArmorProfile).type;
    if (!okType(podType))
      out.push({
        check: 'appArmorProfile',
        path: `${base}.securityContext.appArmorProfile.type`,
        message: `AppArmor profile type ${String(podType)}`,
      });
    for (const { c, path, name } of containersOf(spec, base)) {
      const t = obj(sc(c).appArmorProfile).type;
      if (!okType(t))
        out.push({
          check: 'appArmorProfile',
          path: `${path}.securityContext.appArmorProfile.type`,
          message: `container "${name}" sets AppArmor profile type ${String(t)}`,
        });
    }
    for (const [k, v] of Object.entries(obj(meta.annotations))) {
      if (
        k.startsWith('container.apparmor.security.beta.kubernetes.io/') &&
        !(v === '' || v === 'runtime/default' || (typeof v === 'string' && v.startsWith('localhost/')))
      ) {
        out.push({
          check: 'appArmorProfile',
          path: `${base.replace(/spec$/, 'metadata')}.annotations["${k}"]`,
          message: `AppArmor annotation ${String(v)}`,
        });
      }
    }
    return out;
  },

  seLinuxOptions: (_m, spec, base) => {
    const out: PodSecurityViolation[] = [];
    const checkOpts = (o: Obj, path: string, who: string) => {
      if (!SELINUX_TYPES.includes(String(o.type ?? '')))
        out.push({ check: 'seLinuxOptions', path: `${path}.type`, message: `${who} sets SELinux type ${String(o.type)}` });
      for (const f of ['user', 'role'] as const) {
        if (typeof o[f] === 'string' && o[f] !== '')
          out.push({ check: 'seLinuxOptions', path: `${path}.${f}`, message: `${who} sets SELinux ${f}` });
      }
    };
    const pod = obj(spec.securityContext).seLinuxOptions;
    if (isObject(pod)) checkOpts(pod, `${base}.securityContext.seLinuxOptions`, 'the pod');
    for (const { c, path, name } of containersOf(spec, base)) {
      const o = sc(c).seLinuxOptions;
      if (isObject(o)) checkOpts(o, `${path}.securityContext.seLinuxOptions`, `container "${name}"`);
    }
    return out;
  },

  procMount: (_m, spec, base) =>
    containersOf(spec, base)
      .filter(({ c }) => sc(c).procMount !== undefined && sc(c).procMount !== 'Default')
      .map(({ c, path, name }) => ({
        check: 'procMount',
        path: `${path}.securityContext.procMount`,
        message: `container "${name}" sets procMount ${String(sc(c).procMount)}`,
      })),

  sysctls: (_m, spec, base) =>
    list(obj(spec.securityContext).sysctls).flatMap((s, i) =>
      SAFE_SYSCTLS.includes(String(s.name))
        ? []
        : [
            {
              check: 'sysctls',
              path: `${base}.securityContext.sysctls[${i}].name`,
              message: `sysctl ${String(s.name)} is not in the safe set`,
            },
          ],
    ),

  windowsHostProcess: (_m, spec, base) => {
    const out: PodSecurityViolation[] = [];
    if (obj(obj(spec.securityContext).windowsOptions).hostProcess === true) {
      out.push({
        check: 'windowsHostProcess',
        path: `${base}.securityContext.windowsOptions.hostProcess`,
        message: 'the pod is a Windows HostProcess pod',
      });
    }
    for (const { c, path, name } of containersOf(spec, base)) {
      if (obj(sc(c).windowsOptions).hostProcess === true) {
        out.push({
          check: 'windowsHostProcess',
          path: `${path}.securityContext.windowsOptions.hostProcess`,
          message: `container "${name}" is a Windows HostProcess container`,
        });
      }
    }
    return out;
  },

  hostProbesAndHostLifecycle: (_m, spec, base) =>
    containersOf(spec, base).flatMap(({ c, path, name }) => {
      const handlers: [string, unknown][] = [
        ['livenessProbe', c.livenessProbe],
        ['readinessProbe', c.readinessProbe],
        ['startupProbe', c.startupProbe],
        ['lifecycle.postStart', obj(c.lifecycle).postStart],
        ['lifecycle.preStop', obj(c.lifecycle).preStop],
      ];
      return handlers.flatMap(([field, h]) =>
        (['httpGet', 'tcpSocket'] as const).flatMap((kind) => {
          const host = obj(obj(h)[kind]).host;
          return typeof host === 'string' && host !== ''
            ? [
                {
                  check: 'hostProbesAndHostLifecycle',
                  path: `${path}.${field}.${kind}.host`,
                  message: `container "${name}" probes or hooks host ${host}`,
                },
              ]
            : [];
        }),
      );
    }),

  // ---- Restricted ----
  restrictedVolumes: (_m, spec, base) =>
    list(spec.volumes).flatMap((v, i) => {
      const source = Object.keys(v).filter((k) => k !== 'name');
      // A volume with no source at all is defaulted to emptyDir by the API server.
      return source.every((k) => RESTRICTED_VOLUME_TYPES.includes(k))
        ? []
        : [
            {
              check: 'restrictedVolumes',
              path: `${base}.volumes[${i}]`,
              message: `volume "${String(v.name)}" uses ${source.join(', ')}, not one of ${RESTRICTED_VOLUME_TYPES.join(', ')}`,
            },
          ];
    }),

  allowPrivilegeEscalation: (_m, spec, base) =>
    isWindows(spec)
      ? []
      : containersOf(spec, base)
          .filter(({ c }) => sc(c).allowPrivilegeEscalation !== false)
          .map(({ path, name }) => ({
            check: 'allowPrivilegeEscalation',
            path: `${path}.securityContext.allowPrivilegeEscalation`,
            message: `container "${name}" must set allowPrivilegeEscalation=false`,
          })),

  runAsNonRoot: (_m, spec, base) => {
    const out: PodSecurityViolation[] = [];
    const pod = obj(spec.securityContext).runAsNonRoot;
    if (pod === false)
      out.push({
        check: 'runAsNonRoot',
        path: `${base}.securityContext.runAsNonRoot`,
        message: 'the pod sets runAsNonRoot=false',
      });
    for (const { c, path, name } of containersOf(spec, base)) {
      const v = sc(c).runAsNonRoot;
      if (v === false)
        out.push({
          check: 'runAsNonRoot',
          path: `${path}.securityContext.runAsNonRoot`,
          message: `container "${name}" sets runAsNonRoot=false`,
        });
      else if (v === undefined && pod !== true) {
        out.push({
          check: 'runAsNonRoot',
          path: `${path}.securityContext.runAsNonRoot`,
          message: `container "${name}" must set runAsNonRoot=true (or the pod must)`,
        });
      }
    }
    return out;
  },

  runAsUser: (_m, spec, base) => {
    const out: PodSecurityViolation[] = [];
    if (obj(spec.securityContext).runAsUser === 0)
      out.push({ check: 'runAsUser', path: `${base}.securityContext.runAsUser`, message: 'the pod sets runAsUser=0 (root)' });
    for (const { c, path, name } of containersOf(spec, base)) {
      if (sc(c).runAsUser === 0)
        out.push({
          check: 'runAsUser',
          path: `${path}.securityContext.runAsUser`,
          message: `container "${name}" sets runAsUser=0 (root)`,
        });
    }
    return out;
  },

  seccompProfile: (_m, spec, base) => {
    if (isWindows(spec)) return [];
    const out: PodSecurityViolation[] = [];
    const podProfile = obj(spec.securityContext).seccompProfile;
    let podSet = false;
    if (isObject(podProfile)) {
      if (SECCOMP_OK.includes(String(podProfile.type))) podSet = true;
      else
        out.push({
          check: 'seccompProfile',
          path: `${base}.securityContext.seccompProfile.type`,
          message: `the pod sets seccomp profile ${String(podProfile.type)}`,
        });
    }
    for (const { c, path, name } of containersOf(spec, base)) {
      const p = sc(c).seccompProfile;
      if (isObject(p)) {
        if (!SECCOMP_OK.includes(String(p.type)))
          out.push({
            check: 'seccompProfile',
            path: `${path}.securityContext.seccompProfile.type`,
            message: `container "${name}" sets seccomp profile ${String(p.type)}`,
          });
      } else if (!podSet) {
        out.push({
          check: 'seccompProfile',
          path: `${path}.securityContext.seccompProfile.type`,
          message: `container "${name}" must use seccomp profile RuntimeDefault or Localhost (or the pod must)`,
        });
      }
    }
    return out;
  },

  capabilities: (_m, spec, base) =>
    isWindows(spec)
      ? []
      : containersOf(spec, base).flatMap(({ c, path, name }) => {
          const caps = obj(sc(c).capabilities);
          const out: PodSecurityViolation[] = [];
          const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
          if (!drop.includes('ALL'))
            out.push({
              check: 'capabilities',
              path: `${path}.securityContext.capabilities.drop`,
              message: `container "${name}" must drop ALL capabilities`,
            });
          const add = Array.isArray(caps.add) ? caps.add.map(String) : [];
          const extra = add.filter((x) => x !== 'NET_BIND_SERVICE');
          if (extra.length > 0)
            out.push({
              check: 'capabilities',
              path: `${path}.securityContext.capabilities.add`,
              message: `container "${name}" adds ${extra.join(', ')} (only NET_BIND_SERVICE is allowed)`,
            });
          return out;
        }),
};

/** Check ids, in the order they run. */
export const POD_SECURITY_CHECKS = Object.keys(CHECKS);

function isWindows(spec: Obj): boolean {
  return obj(spec.os).name === 'windows';
}

/** Run the restricted profile on one pod (metadata and spec as in a Pod or a pod template). */
export function checkRestricted(podMeta: unknown, podSpec: unknown, base = 'spec'): PodSecurityViolation[] {
  const meta = obj(podMeta);
  const spec = obj(podSpec);
  return Object.values(CHECKS).flatMap((check) => check(meta, spec, base));
}

/** Where the pod template sits in each workload kind. */
const TEMPLATE_PATH: Record<string, string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export interface PodTemplateRef {
  object: K8sObject;
  meta: Obj;
  spec: Obj;
  /** Path of the pod spec inside the object, e.g. spec.template.spec. */
  base: string;
}

/** The pod templates of every workload among the objects. */
export function podTemplates(objects: K8sObject[]): PodTemplateRef[] {
  return objects.flatMap((o) => {
    const path = TEMPLATE_PATH[o.kind];
    if (!path) return [];
    const tpl = path.reduce<unknown>((v, k) => obj(v)[k], o);
    return [{ object: o, meta: obj(obj(tpl).metadata), spec: obj(obj(tpl).spec), base: [...path, 'spec'].join('.') }];
  });
}

/** Every restricted-profile violation of every workload, as "Kind/name: check: path: message". */
export function restrictedViolations(objects: K8sObject[]): string[] {
  return podTemplates(objects).flatMap(({ object, meta, spec, base }) =>
    checkRestricted(meta, spec, base).map((v) => `${objectId(object)}: ${v.check}: ${v.path}: ${v.message}`),
  );
}
