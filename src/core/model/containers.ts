// The `app` block of the cohort model: how the reference application's containers run on the
// local target (CP7): their CPU, memory and process limits, how many API instances, where their
// remote volume lives, and which container runtime to use.
import { z } from 'zod';

const limits = (memoryMiB: number, cpus: number, pids: number) =>
  z
    .strictObject({
      memoryMiB: z.number().int().min(32).max(4096).default(memoryMiB).describe('memory limit in MiB'),
      cpus: z.number().min(0.05).max(8).default(cpus).describe('CPU limit in cores'),
      pids: z.number().int().min(16).max(4096).default(pids).describe('most processes and threads'),
    })
    .default({ memoryMiB, cpus, pids });

export const appSchema = z
  .strictObject({
    replicas: z
      .number()
      .int()
      .min(1)
      .max(4)
      .default(2)
      .describe('API instances per environment (replaced one by one during an update)'),
    limits: z
      .strictObject({
        api: limits(160, 0.5, 64).describe('each API container'),
        worker: limits(160, 0.25, 64).describe('the worker container'),
        edge: limits(96, 0.25, 32).describe('the edge container (entry point of an environment)'),
      })
      .default({
        api: { memoryMiB: 160, cpus: 0.5, pids: 64 },
        worker: { memoryMiB: 160, cpus: 0.25, pids: 64 },
        edge: { memoryMiB: 96, cpus: 0.25, pids: 32 },
      })
      .describe('container limits (cgroup memory, CPU quota, pids)'),
    storage: z
      .strictObject({
        server: z
          .string()
          .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/)
          .optional()
          .describe("server holding the remote volume (default: the candidate's first server of role app)"),
        path: z
          .string()
          .regex(/^\/[A-Za-z0-9._/-]+$/)
          .default('/srv/asd-app')
          .describe('directory on that server; each environment gets a subdirectory'),
      })
      .default({ path: '/srv/asd-app' })
      .describe("the containers' remote volume (mounted with sshfs on the host, see docs/containers.md)"),
    runtime: z
      .enum(['auto', 'podman', 'nspawn'])
      .default('auto')
      .describe('container runtime: auto probes podman, then systemd-nspawn'),
  })
  .default({
    replicas: 2,
    limits: {
      api: { memoryMiB: 160, cpus: 0.5, pids: 64 },
      worker: { memoryMiB: 160, cpus: 0.25, pids: 64 },
      edge: { memoryMiB: 96, cpus: 0.25, pids: 32 },
    },
    storage: { path: '/srv/asd-app' },
    runtime: 'auto',
  })
  .describe("the reference application's containers on the local target (CP7)");

export type AppSettings = z.output<typeof appSchema>;
export type ContainerLimits = AppSettings['limits']['api'];
