import { expect } from 'chai';
import { runCli } from './cliHarness.js';

describe('rxbridge (main)', () => {
  it('prints help listing its commands and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).to.equal(0);
    const help = r.stdout.toString();
    for (const command of ['info', 'copy', 'bench']) expect(help).to.match(new RegExp(`\\n  ${command} `));
  });

  it('exits 1 on an unknown command, with a hint', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("unknown command 'frobnicate'");
    expect(r.stderr).to.contain('--help');
  });

  it('exits 1 on a missing argument and a bad option value', async () => {
    expect((await runCli(['copy', 'only-one'])).code).to.equal(1);
    const bad = await runCli(['bench', 'nbd://127.0.0.1:1/', '--qd', 'many']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.match(/--qd <n>.*many.*whole number/);
  });

  it('exits 1 without a command, printing the usage', async () => {
    const r = await runCli([]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('Usage: rxbridge');
  });
});
