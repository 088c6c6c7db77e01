/**
 * `rxbridge info URI [--json] [--list]`: what an NBD server says about an
 * export (or, with --list, about each of its exports), like nbdinfo. The work
 * is in info/infoCommand.ts, loaded when the command runs: registering the
 * command must not load the NBD client (every start-up would pay for it).
 */
import type { Command } from 'commander';
import { action, type CliContext, type RegisterCommand } from './cliContext.js';
import type { InfoFlags } from './info/infoCommand.js';
import { addTlsOptions } from './nbdOptions.js';

export const registerInfo: RegisterCommand = (program: Command, context: CliContext) => {
  addTlsOptions(
    program
      .command('info')
      .description('show what an NBD server says about an export (like nbdinfo)')
      .argument('<uri>', 'nbd://host[:port]/export, nbds://… (TLS) or nbd+unix:///export?socket=PATH')
      .option('--json', 'print one JSON document (nbdinfo --json field names)')
      .option('--list', 'list every export of the server'),
  ).action(action(context, 'info', async (uri: string, options: InfoFlags) => {
    const { info } = await import('./info/infoCommand.js');
    return info(context, uri, options);
  }));
};
