// The command modules, in the order `--help` lists them. One module per command.
import type { Command } from 'commander';
import { register as access } from './access.ts';
import { register as alerts } from './alerts.ts';
import { register as app } from './app.ts';
import { register as bundle } from './bundle.ts';
import { register as competencies } from './competencies.ts';
import { register as db } from './db.ts';
import { register as diagram } from './diagram.ts';
import { register as docs } from './docs.ts';
import { register as doctor } from './doctor.ts';
import { register as dossier } from './dossier.ts';
import { register as down } from './down.ts';
import { register as drill } from './drill.ts';
import { register as inventory } from './inventory.ts';
import { register as k8s } from './k8s.ts';
import { register as pipeline } from './pipeline.ts';
import { register as plan } from './plan.ts';
import { register as project } from './project.ts';
import { register as report } from './report.ts';
import { register as reproduce } from './reproduce.ts';
import { register as serve } from './serve.ts';
import { register as ssh } from './ssh.ts';
import { register as status } from './status.ts';
import { register as synth } from './synth.ts';
import { register as up } from './up.ts';
import { register as validate } from './validate.ts';
import { register as verify } from './verify.ts';

export const COMMANDS: ((program: Command) => void)[] = [
  validate,
  competencies,
  doctor,
  docs,
  synth,
  plan,
  up,
  status,
  ssh,
  access,
  verify,
  db,
  alerts,
  drill,
  report,
  k8s,
  pipeline,
  app,
  project,
  diagram,
  dossier,
  bundle,
  reproduce,
  serve,
  inventory,
  down,
];
