/**
 * The `chronos-lens` command line: a thin adapter over the host-free core, so every result the editor
 * shows can be reproduced headless. Errors go to stderr as one line (stack with --debug), exit code 1
 * (2 for usage errors, 130 when interrupted).
 */
import { ChronosLensError, isCancelled, oneLine, userMessage } from '../core/errors';
import { ResourceLimitError } from '../core/limits';
import { CliIO, FLAG_NAMES, toolVersion } from './common';

/** `flags`: how the command names the parameters a ResourceLimitError asks to lower, where not as FLAG_NAMES. */
type Command = { run: (argv: string[], io: CliIO) => Promise<number>; usage: string; flags?: Record<string, string> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  forecast: { summary: 'forecast a CSV column (quantiles, mean, samples)', load: () => import('./commands/forecast') },
  info: { summary: 'show a checkpoint and the execution provider', load: () => import('./commands/info') },
  mosaic: { summary: 'induction mosaics (reference protocol, encoder, decoder, data-driven)', load: () => import('./commands/mosaic') },
  lens: { summary: 'what every head attends to from one point of a CSV series', load: () => import('./commands/lens') },
  'group-score': { summary: 'Chronos-2: how much each head\'s group attention reads the other series', load: () => import('./commands/group-score') },
  ablate: { summary: 'head-ablation experiments against random control sets', load: () => import('./commands/ablate') },
  models: { summary: 'list and download models, the graph cache, GPU (CUDA) support', load: () => import('./commands/models') },
  sweep: { summary: 'sweeps over models × datasets × seeds: plan, run (sharded), merge into an atlas, submit to Slurm, Kubernetes or Ray', load: () => import('./commands/sweep') },
  heads: { summary: 'weight-only head ranking: stable rank of each head\'s QK and OV matrices', load: () => import('./commands/heads') },
  attribute: { summary: 'direct attribution of a forecast step to heads and blocks of the residual stream', load: () => import('./commands/attribute') },
  'layer-lens': { summary: 'the forecast each decoder layer would make (per-layer lens)', load: () => import('./commands/layer-lens') },
  patch: { summary: 'activation patching from a clean into a corrupted input (heads, positions, residual)', load: () => import('./commands/patch') },
};

export function help(): string {
  const names = Object.keys(COMMANDS);
  const w = Math.max(...names.map((n) => n.length));
  return [
    `chronos-lens ${toolVersion()} — mechanistic interpretability for Chronos forecasting models`,
    '',
    'Usage: chronos-lens <command> [options]   (chronos-lens <command> --help for details)',
    '',
    ...names.map((n) => `  ${n.padEnd(w)}  ${COMMANDS[n].summary}`),
    '',
    'Every command runs the bundled chronos-t5-nano model unless --model names another checkpoint: a folder, or a',
    'Hugging Face repo id (amazon/chronos-t5-small) from the cache; add --download to fetch it.',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.stdout.write(help() + '\n');
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-v') {
    io.stdout.write(toolVersion() + '\n');
    return 0;
  }
  const entry = COMMANDS[cmd];
  const debug = rest.includes('--debug');
  if (!entry) {
    io.stderr.write(`chronos-lens: unknown command ${JSON.stringify(oneLine(cmd).slice(0, 60))} (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  let command: Command | undefined;
  try {
    command = await entry.load();
    return await command.run(rest, io);
  } catch (e) {
    if (isCancelled(e)) {
      io.stderr.write('chronos-lens: cancelled\n');
      return 130;
    }
    const names = { ...FLAG_NAMES, ...command?.flags };
    const msg = e instanceof ResourceLimitError ? e.describe((p) => names[p] ?? p) : userMessage(e);
    io.stderr.write(`chronos-lens: ${cmd}: ${oneLine(msg)}\n`);
    if (debug && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return e instanceof ChronosLensError && e.code === 'BAD_INPUT' ? 2 : 1;
  }
}

/** Anything that escapes main (a failure in a stream or timer callback): still one line and an exit code, never a crash dump. */
function fatal(e: unknown): void {
  process.stderr.write(`chronos-lens: ${oneLine(userMessage(e))}\n`);
  if (process.argv.includes('--debug') && e instanceof Error && e.stack) process.stderr.write(e.stack + '\n');
  process.exit(1);
}

if (require.main === module) {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  const controller = new AbortController();
  let interrupted = 0;
  process.on('SIGINT', () => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    controller.abort();
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    fatal,
  );
}
