// Parses an AsyncAPI document with the official parser; prints every diagnostic, exits 1 on any error.
//   node tools/asyncapi/check.mjs docs/asyncapi.yaml
import { Parser, fromFile } from "@asyncapi/parser";

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, path).parse();
const errors = diagnostics.filter((d) => d.severity === 0);
for (const d of diagnostics) {
  console.log(`${["error", "warning", "info", "hint"][d.severity]} ${d.code} ${d.path.join(".")}: ${d.message}`);
}
if (!document || errors.length > 0) {
  process.exit(1);
}
console.log(`ok ${document.info().title()} ${document.version()}: ${document.channels().length} channels`);
