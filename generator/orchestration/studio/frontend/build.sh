#!/bin/sh
# Rebuilds ../static/vendor/editor.js (the editor bundle) and LICENSES.txt from the pinned lockfile.
set -eu
cd "$(dirname "$0")"
out=../static/vendor
meta=$(mktemp)
trap 'rm -f "$meta"' EXIT

npm ci --no-audit --no-fund
./node_modules/.bin/esbuild editor.mjs --bundle --minify --format=iife --global-name=AdgenEditor \
  --legal-comments=none --metafile="$meta" --outfile="$out/editor.js"

# The licence notice of every npm package that ended up in the bundle, from the metafile's inputs.
node - "$meta" "$out/LICENSES.txt" <<'JS'
const fs = require("fs");
const [meta, target] = process.argv.slice(2);
const packages = new Set();
for (const input of Object.keys(JSON.parse(fs.readFileSync(meta, "utf8")).inputs)) {
  const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = `node_modules/${name}`;
  const { version, license } = JSON.parse(fs.readFileSync(`${dir}/package.json`, "utf8"));
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.\w+)?$/i.test(f));
  if (!file) throw new Error(`${name} has no licence file`);
  return `${name} ${version} (${license})\n\n${fs.readFileSync(`${dir}/${file}`, "utf8").trim()}\n`;
});
const header = "Third-party packages bundled into editor.js, with their licence notices.\n";
fs.writeFileSync(target, [header, ...notices].join(`\n${"=".repeat(78)}\n\n`));
JS

echo "editor.js: $(wc -c < "$out/editor.js") bytes ($(gzip -c "$out/editor.js" | wc -c) gzipped)"
