/** Entry point of the `rxbridge` command; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const args = argv.slice(2);
  console.log(`rxbridge: ${args.join(' ') || '(no command)'} — commands are being built`);
  return 0;
}
