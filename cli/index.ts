#!/usr/bin/env node
/** tastebud CLI: `train`, `eval`, `ensemble`, `adapt-eval`, `blend` and `embed`. Errors print one clear line (no stack trace) and exit 1. */
import { realpathSync } from 'node:fs';
import { isTastebudError } from '../common/errors';
import { ADAPT_USAGE, adaptCommand } from './adapt';
import { BLEND_USAGE, blendCommand } from './blend';
import { EMBED_USAGE, embedCommand } from './embed';
import { ENSEMBLE_USAGE, ensembleCommand } from './ensemble';
import { EVAL_USAGE, evalCommand } from './eval';
import { TRAIN_USAGE, trainCommand } from './train';

const USAGE = `tastebud <command> [options]
Commands:
  train   train a model from an interactions file and write a model directory
  eval    evaluate a model directory (leave-one-out, full ranking) against the popularity baseline
  ensemble  combine sequence models trained on the same interactions into one model directory
  adapt-eval  measure whether on-device fine-tuning on a user's history changes their held-out rank
  blend   fit the ranking blend weights of a sequence model on validation data and write them into its manifest
  embed   compute a catalog's text and image vectors once, for models.itemVectors (visitors then encode nothing)

${TRAIN_USAGE}

${EVAL_USAGE}

${ENSEMBLE_USAGE}

${ADAPT_USAGE}

${BLEND_USAGE}

${EMBED_USAGE}
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'train') await trainCommand(rest);
    else if (command === 'eval') await evalCommand(rest);
    else if (command === 'ensemble') await ensembleCommand(rest);
    else if (command === 'adapt-eval') await adaptCommand(rest);
    else if (command === 'blend') await blendCommand(rest);
    else if (command === 'embed') await embedCommand(rest);
    else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    } else {
      process.stderr.write(`tastebud: unknown command "${command}"\n\n${USAGE}`);
      return 1;
    }
    return 0;
  } catch (err) {
    if (isTastebudError(err)) process.stderr.write(`tastebud ${command}: error (${err.code}): ${err.message}\n`);
    else if (
      err instanceof Error &&
      (err as { code?: unknown }).code !== undefined &&
      String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    )
      process.stderr.write(`tastebud ${command}: error (invalid-argument): ${err.message}\n`);
    else if (err instanceof Error) process.stderr.write(`tastebud ${command}: error (internal): ${err.message}\n`);
    else process.stderr.write(`tastebud ${command}: error (internal): ${String(err)}\n`);
    return 1;
  }
}

function isEntryPoint(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  let path = arg;
  try {
    path = realpathSync(arg);
  } catch {
    /* keep the argument */
  }
  return /cli[\\/]index\.(ts|js)$/.test(path);
}

const isEntry = isEntryPoint();
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 1;
    },
  );
}
