import { readFileSync } from 'node:fs';

/**
 * rxbridge's version, from the package.json above this module: the module
 * runs from src/cli (tsx), dist/src/cli (tsc) or dist/cli (the bundle), so
 * the nearest package.json named rxbridge is the one.
 */
export function packageVersion(): string {
  for (let up = '../'; up.length <= 4 * 3; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'rxbridge' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one level up
    }
  }
  return 'unknown';
}
