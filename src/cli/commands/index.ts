// The command modules, in the order `--help` lists them. One module per command.
import type { Command } from 'commander';
import { register as competencies } from './competencies.ts';
import { register as docs } from './docs.ts';
import { register as doctor } from './doctor.ts';
import { register as validate } from './validate.ts';

export const COMMANDS: ((program: Command) => void)[] = [validate, competencies, doctor, docs];
