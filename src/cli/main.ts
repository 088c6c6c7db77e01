/**
 * Entry point of the `rxbridge` command. Each command lives in its own module
 * and registers itself; adding one is one import and one entry in COMMANDS.
 */
import { Command, CommanderError } from 'commander';
import { processIo, type CliContext, type CliIo, type RegisterCommand } from './cliContext.js';
import { registerInfo } from './info.js';
import { registerCopy } from './copy.js';
import { registerBench } from './bench.js';
import { registerLab } from './lab.js';
import { registerServe } from './serve.js';
import { packageVersion } from './version.js';

const COMMANDS: readonly RegisterCommand[] = [registerInfo, registerCopy, registerBench, registerLab, registerServe];

/**
 * Runs the command line and returns the exit code (it never calls process.exit).
 * @param argv As `process.argv`: the node binary and script first, then the arguments.
 * @param io The streams to use (specs pass captured ones); the process's by default.
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context: CliContext = { io, exitCode: 0 };
  const program = new Command('rxbridge')
    .description('a reactive protocol engine for request/response device protocols (NBD first)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)');
  for (const register of COMMANDS) register(program, context);
  try {
    await program.parseAsync(argv, { from: 'node' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // Help and version are successes; usage errors were already printed by commander.
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : err.exitCode || 1;
  }
  return context.exitCode;
}
