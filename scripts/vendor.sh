#!/usr/bin/env bash
# Refresh static/vendor/ from the exact versions pinned in package.json (npm registry only).
# The copies are committed, so the app works offline and `make run` needs no npm.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --ignore-scripts --silent
dest=static/vendor
rm -rf "$dest" && mkdir -p "$dest/htmx" "$dest/pico" "$dest/codemirror" "$dest/chartjs"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx/"
cp node_modules/htmx-ext-ws/dist/ws.min.js "$dest/htmx/htmx-ext-ws.min.js" 2>/dev/null \
  || cp node_modules/htmx-ext-ws/ws.js "$dest/htmx/htmx-ext-ws.min.js"
cp node_modules/@picocss/pico/css/pico.min.css "$dest/pico/"
# CodeMirror 5: core, Python mode and the two add-ons static/js/code-editor.js uses.
cm=node_modules/codemirror
cp "$cm/lib/codemirror.js" "$cm/lib/codemirror.css" "$cm/mode/python/python.js" \
  "$cm/addon/edit/matchbrackets.js" "$dest/codemirror/"
if [ -f "$cm/addon/comment/comment.js" ]; then cp "$cm/addon/comment/comment.js" "$dest/codemirror/"; fi
cp "$cm/LICENSE" "$dest/codemirror/LICENSE"
# Chart.js 4: one UMD file, no build step (charts in the LLM lab and the usage pages).
# Without its sourceMappingURL line: the map is not vendored, and the production static storage
# (ManifestStaticFilesStorage) refuses to collect a file that names a missing one.
chart=node_modules/chart.js/dist/chart.umd.min.js
[ -f "$chart" ] || chart=node_modules/chart.js/dist/chart.umd.js
sed '/^\/\/# sourceMappingURL=/d' "$chart" >"$dest/chartjs/chart.umd.min.js"
cp node_modules/chart.js/LICENSE.md "$dest/chartjs/LICENSE.md"
for pkg in htmx.org htmx-ext-ws @picocss/pico codemirror chart.js; do
  version=$(node -p "require('./node_modules/$pkg/package.json').version")
  echo "$pkg@$version"
done > "$dest/VERSIONS"
cat "$dest/VERSIONS"
