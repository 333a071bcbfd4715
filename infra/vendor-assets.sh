#!/usr/bin/env bash
# Refresh Tribune's vendored third-party front-end assets from the npm registry.
#
#   bash infra/vendor-assets.sh        (works from any directory)
#
# Outputs (all committed; everything here is regenerated on every run):
#   static/vendor/govuk-frontend/govuk-frontend.min.css  GOV.UK Frontend Sass, compiled for a non-GOV.UK service
#   static/vendor/govuk-frontend/LICENSE.txt
#   static/vendor/govuk-frontend/assets/...              only the images the CSS references (none at present)
#   static/vendor/htmx/htmx.min.js + LICENSE
#   static/vendor/VENDORED.md + checksums.sha256
#   tests/browser/vendor/axe.min.js + LICENSE + LICENSE-3RD-PARTY.txt   (browser tests only; never served)
#   tests/browser/vendor/VENDORED.md + checksums.sha256
#
# Verify from the repo root with:
#   sha256sum -c static/vendor/checksums.sha256 && sha256sum -c tests/browser/vendor/checksums.sha256
#
# GOV.UK Frontend's JavaScript is deliberately NOT vendored: Tribune ships its own small script.
set -euo pipefail

# ---- Pinned versions (exact; bump deliberately and re-run) -------------------------------
GOVUK_FRONTEND_VERSION="6.6.0"   # npm govuk-frontend
SASS_VERSION="1.108.2"           # npm sass (build tool only, not vendored)
HTMX_VERSION="2.0.11"            # npm htmx.org, stay on 2.0.x (4.x has breaking changes)
AXE_CORE_VERSION="4.14.1"        # npm axe-core, 4.14.x

# ---- GOV.UK Frontend build settings --------------------------------------------------------
# Tribune is not a GOV.UK service: no GDS Transport font, no crown or royal crest.
FONT_STACK='system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif'
GOVUK_URL_PREFIX="/static/vendor/govuk-frontend/"
GOVUK_ASSETS_URL="${GOVUK_URL_PREFIX}assets/"

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
export LC_ALL=C

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log() { printf '[vendor-assets] %s\n' "$*" >&2; }
die() { printf '[vendor-assets] ERROR: %s\n' "$*" >&2; exit 1; }

# ---- Install ---------------------------------------------------------------------------------
log "installing govuk-frontend@$GOVUK_FRONTEND_VERSION sass@$SASS_VERSION htmx.org@$HTMX_VERSION axe-core@$AXE_CORE_VERSION"
npm install --no-save --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error \
  --prefix "$tmp" \
  "govuk-frontend@$GOVUK_FRONTEND_VERSION" \
  "sass@$SASS_VERSION" \
  "htmx.org@$HTMX_VERSION" \
  "axe-core@$AXE_CORE_VERSION" >&2

NM="$tmp/node_modules"

pkg_field() { # pkg_field PACKAGE FIELD -> value from its package.json
  node -e 'const p = require(process.argv[1]); const v = p[process.argv[2]];
           if (typeof v !== "string") process.exit(1); process.stdout.write(v);' \
    "$NM/$1/package.json" "$2"
}

for spec in "govuk-frontend=$GOVUK_FRONTEND_VERSION" "sass=$SASS_VERSION" \
            "htmx.org=$HTMX_VERSION" "axe-core=$AXE_CORE_VERSION"; do
  name="${spec%%=*}" want="${spec#*=}"
  got="$(pkg_field "$name" version)" || die "cannot read version of $name"
  [[ "$got" == "$want" ]] || die "$name: installed $got, pinned $want"
done

GOVUK_DIST="$NM/govuk-frontend/dist/govuk"
[[ -f "$GOVUK_DIST/index.scss" ]] || die "govuk-frontend has no dist/govuk/index.scss"
# Fail loudly if the Sass settings this build relies on are renamed in a future major.
for setting in '$govuk-font-family' '$govuk-include-default-font-face' \
               '$govuk-assets-path' '$govuk-image-url-function'; do
  grep -Fq -- "$setting:" "$GOVUK_DIST"/settings/_typography-font.scss "$GOVUK_DIST"/settings/_assets.scss \
    || die "Sass setting $setting not found in govuk-frontend dist/govuk/settings/"
done

# ---- Stage everything under $out, then swap into the tree at the end -----------------------
out="$tmp/out"
GF_DIR="static/vendor/govuk-frontend"
HTMX_DIR="static/vendor/htmx"
AXE_DIR="tests/browser/vendor"
mkdir -p "$out/$GF_DIR" "$out/$HTMX_DIR" "$out/$AXE_DIR"

# ---- 1. GOV.UK Frontend CSS -------------------------------------------------------------------
scss="$tmp/scss"
mkdir -p "$scss"

# Image URL handler: never reference the royal crest (footer copyright logo); everything else
# resolves under $GOVUK_ASSETS_URL and is copied below if the CSS actually references it.
cat >"$scss/_tribune-urls.scss" <<SCSS
@function image-url(\$filename) {
  @if \$filename == "govuk-crest.svg" {
    @return none;
  }
  @return url("${GOVUK_ASSETS_URL}images/#{\$filename}");
}
SCSS

cat >"$scss/tribune-govuk-frontend.scss" <<SCSS
/*! GOV.UK Frontend v${GOVUK_FRONTEND_VERSION} | MIT License | (c) Crown Copyright (Government Digital Service)
 *  Compiled for Tribune by infra/vendor-assets.sh (sass ${SASS_VERSION}): system font stack,
 *  no web fonts, no crest image. */
@use "sass:meta";
@use "tribune-urls";
@use "govuk" with (
  \$govuk-font-family: (${FONT_STACK}),
  \$govuk-include-default-font-face: false,
  \$govuk-assets-path: "${GOVUK_ASSETS_URL}",
  \$govuk-image-url-function: meta.get-function("image-url", \$module: "tribune-urls")
);

// The crest image is suppressed above; also remove the (otherwise empty, currentcolor-filled)
// pseudo-element so .govuk-footer__copyright-logo renders as a plain link.
.govuk-footer__copyright-logo::before {
  content: none;
}
SCSS

css_out="$out/$GF_DIR/govuk-frontend.min.css"
log "compiling GOV.UK Frontend Sass"
"$NM/.bin/sass" --style=compressed --no-source-map \
  --load-path="$scss" --load-path="$NM/govuk-frontend/dist" \
  "$scss/tribune-govuk-frontend.scss" "$css_out"

# The CSS must not load the GDS Transport font (or any web font).
if grep -qi 'GDS Transport' "$css_out"; then die "compiled CSS still mentions GDS Transport"; fi
if grep -qi '@font-face' "$css_out"; then die "compiled CSS still contains @font-face"; fi
if grep -qi 'govuk-crest' "$css_out"; then die "compiled CSS still references the royal crest"; fi

# Every url(...) must be a data: URI or a file we vendor under $GOVUK_ASSETS_URL.
while IFS= read -r url; do
  [[ -n "$url" ]] || continue
  case "$url" in
    data:*) continue ;;
    "$GOVUK_ASSETS_URL"*)
      rel="${url#"$GOVUK_ASSETS_URL"}" rel="${rel%%[?#]*}"
      [[ "$rel" != *..* && -f "$GOVUK_DIST/assets/$rel" ]] || die "CSS references $url, which govuk-frontend does not ship"
      mkdir -p "$(dirname "$out/$GF_DIR/assets/$rel")"
      cp "$GOVUK_DIST/assets/$rel" "$out/$GF_DIR/assets/$rel"
      ;;
    *) die "CSS references $url, outside $GOVUK_ASSETS_URL" ;;
  esac
done < <(grep -o 'url([^)]*)' "$css_out" | sed -E "s/^url\([\"']?//; s/[\"']?\)\$//" | sort -u)

# The npm tarball ships no licence file; this is the MIT text from the upstream repository
# (alphagov/govuk-frontend, LICENSE.txt). Prefer the package's own if a future release adds one.
gf_license="$(find "$NM/govuk-frontend" -maxdepth 1 -type f -iname 'licen[cs]e*' | sort | head -n1)"
if [[ -n "$gf_license" ]]; then
  cp "$gf_license" "$out/$GF_DIR/LICENSE.txt"
else
  cat >"$out/$GF_DIR/LICENSE.txt" <<'LICENSE'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENSE
fi

# ---- 2. htmx ----------------------------------------------------------------------------------
cp "$NM/htmx.org/dist/htmx.min.js" "$out/$HTMX_DIR/htmx.min.js"
cp "$NM/htmx.org/LICENSE" "$out/$HTMX_DIR/LICENSE"

# ---- 3. axe-core (browser tests only) -------------------------------------------------------
cp "$NM/axe-core/axe.min.js" "$out/$AXE_DIR/axe.min.js"
cp "$NM/axe-core/LICENSE" "$out/$AXE_DIR/LICENSE"
# axe.min.js bundles third-party code whose notices must travel with it.
cp "$NM/axe-core/LICENSE-3RD-PARTY.txt" "$out/$AXE_DIR/LICENSE-3RD-PARTY.txt"

# ---- 4. VENDORED.md + checksums.sha256 ---------------------------------------------------------
# manifest rows: package|version|spdx|npm name|dir (relative to repo root)
GF_LICENSE="$(pkg_field govuk-frontend license)"
HTMX_LICENSE="$(pkg_field htmx.org license)"
AXE_LICENSE="$(pkg_field axe-core license)"
SASS_LICENSE="$(pkg_field sass license)"

write_manifest() { # write_manifest TARGET_DIR ROW...   (run from $out)
  local target="$1"; shift
  local md="$target/VENDORED.md" sums="$target/checksums.sha256"
  local files=() row name version spdx src dir f
  {
    echo "# Vendored third-party files"
    echo
    echo "Generated by \`infra/vendor-assets.sh\` from the npm registry; do not edit by hand."
    echo "To update, change the pinned versions at the top of the script and re-run it."
    echo "Verify from the repository root with \`sha256sum -c $sums\`."
    echo
    echo "| Package | Version | Licence (SPDX) | Source (npm) | File | Bytes | SHA-256 |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for row in "$@"; do
      IFS='|' read -r name version spdx src dir <<<"$row"
      while IFS= read -r f; do
        files+=("$f")
        printf '| %s | %s | %s | `%s` | `%s` | %s | `%s` |\n' \
          "$name" "$version" "$spdx" "$src" "$f" "$(wc -c <"$f" | tr -d ' ')" \
          "$(sha256sum "$f" | cut -d' ' -f1)"
      done < <(find "$dir" -type f ! -name VENDORED.md ! -name checksums.sha256 | sort)
    done
  } >"$md"
  if [[ "$target" == static/vendor ]]; then
    cat >>"$md" <<EOF

## How the GOV.UK Frontend CSS is built

\`govuk-frontend.min.css\` is compiled from the package's Sass (\`dist/govuk/index.scss\`) with
npm \`sass@${SASS_VERSION}\` (${SASS_LICENSE}; build tool only, not vendored), compressed, no source map.
Tribune is not a GOV.UK service, so the build sets:

- \`\$govuk-font-family: ${FONT_STACK}\` (no GDS Transport)
- \`\$govuk-include-default-font-face: false\` (no \`@font-face\`, no font files)
- \`\$govuk-assets-path: "${GOVUK_ASSETS_URL}"\`
- \`\$govuk-image-url-function\`: returns \`none\` for the royal crest (\`govuk-crest.svg\`, footer
  copyright logo), whose \`::before\` pseudo-element is also removed; any other image resolves under
  \`${GOVUK_ASSETS_URL}images/\` and is copied here only if the CSS references it.

GOV.UK Frontend's JavaScript, fonts, crown logo and GOV.UK icons are not vendored. The npm package
ships no licence file, so \`LICENSE.txt\` carries the MIT text of the upstream repository.
EOF
  fi
  printf '%s\n' "${files[@]}" | sort | xargs -d '\n' sha256sum >"$sums"
}

(
  cd "$out"
  write_manifest static/vendor \
    "GOV.UK Frontend|$GOVUK_FRONTEND_VERSION|$GF_LICENSE|govuk-frontend|$GF_DIR" \
    "htmx|$HTMX_VERSION|$HTMX_LICENSE|htmx.org|$HTMX_DIR"
  write_manifest tests/browser/vendor \
    "axe-core|$AXE_CORE_VERSION|$AXE_LICENSE|axe-core|$AXE_DIR"
)

# ---- Swap into the tree ------------------------------------------------------------------------
rm -rf "$ROOT/$GF_DIR" "$ROOT/$HTMX_DIR"
rm -f "$ROOT/static/vendor/VENDORED.md" "$ROOT/static/vendor/checksums.sha256"
rm -f "$ROOT/$AXE_DIR"/{axe.min.js,LICENSE,LICENSE-3RD-PARTY.txt,VENDORED.md,checksums.sha256}
mkdir -p "$ROOT/static/vendor" "$ROOT/$AXE_DIR"
cp -R "$out/$GF_DIR" "$out/$HTMX_DIR" "$ROOT/static/vendor/"
cp "$out/static/vendor/VENDORED.md" "$out/static/vendor/checksums.sha256" "$ROOT/static/vendor/"
cp "$out/$AXE_DIR"/* "$ROOT/$AXE_DIR/"

sha256sum --quiet -c static/vendor/checksums.sha256
sha256sum --quiet -c tests/browser/vendor/checksums.sha256
log "done:"
cat static/vendor/checksums.sha256 tests/browser/vendor/checksums.sha256 \
  | awk '{print $2}' | xargs -d '\n' wc -c >&2
