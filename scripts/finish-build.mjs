// Completes `tsc`: copies the .sql files beside their compiled repositories, makes the CLI executable
// and links it as node_modules/.bin/medallion, so `npx medallion` works inside this checkout too
// (npm links the bins of dependencies, never the project's own).
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';

cpSync('src', 'dist', { recursive: true, filter: (source) => !source.endsWith('.ts') });
chmodSync('dist/cli/main.js', 0o755);

if (existsSync('node_modules')) {
  mkdirSync('node_modules/.bin', { recursive: true });
  rmSync('node_modules/.bin/medallion', { force: true });
  symlinkSync('../../dist/cli/main.js', 'node_modules/.bin/medallion');
}
