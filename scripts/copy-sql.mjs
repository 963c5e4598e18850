// tsc emits only JavaScript: the .sql files live beside their repositories and are copied alongside.
import { cpSync } from 'node:fs';

cpSync('src', 'dist', {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
