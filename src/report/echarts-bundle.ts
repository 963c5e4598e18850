import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Apache ECharts' browser build, as installed (package.json pins it), to be inlined into a page. */
export interface ChartLibrary {
  version: string;
  /** dist/echarts.min.js, made safe to place inside a <script> element. */
  script: string;
}

let cached: ChartLibrary | undefined;

export function chartLibrary(): ChartLibrary {
  if (cached) return cached;
  // The package exports no path to its dist files, but `require` resolves to dist/echarts.js beside them.
  const dist = path.dirname(createRequire(import.meta.url).resolve('echarts'));
  const { version } = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8')) as { version: string };
  cached = { version, script: inlineScript(readFileSync(path.join(dist, 'echarts.min.js'), 'utf8')) };
  return cached;
}

/**
 * A script's text can end its <script> element early: "</script" closes it, and "<!--" starts the HTML
 * parser's escaped state. Neither occurs in ECharts' build today; should one appear in a string, `<\/` and
 * `<\!` are the same string to JavaScript and harmless to the HTML parser.
 */
export function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}
