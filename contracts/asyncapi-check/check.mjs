// Parse an AsyncAPI document with the official parser (@asyncapi/parser, as AsyncAPI's own
// tools do: JSON Schema of the specification, $ref resolution, the spectral rules).
// Prints every diagnostic; exits 1 when any has severity error, 2 on bad usage.
import { readFile } from 'node:fs/promises';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';

const [path] = process.argv.slice(2);
if (!path) {
  console.error('usage: node check.mjs <asyncapi.json>');
  process.exit(2);
}
const { document, diagnostics } = await new Parser().parse(await readFile(path, 'utf8'));
for (const d of diagnostics) {
  const where = d.path.length ? d.path.join('/') : '<document>';
  console.log(`${DiagnosticSeverity[d.severity].toLowerCase()} ${d.code} at ${where}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (errors.length > 0 || document === undefined) {
  console.log(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}
