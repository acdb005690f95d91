#!/usr/bin/env bash
# The documentation against the code:
#  1. every key the config loader accepts (its only_keys lists and the limits tables' keys in
#     src/config/config_loader.cpp) appears, as `key`, in docs/configuration.md;
#  2. every code block marked ```toml check in README.md and docs/*.md, and every file in
#     conf/ and conf/examples/, passes `switchyard --check` (with no provider key in the environment);
#  3. every relative link between the pages points at a file that exists, and at a heading there.
#   docs_config_test.sh SWITCHYARD_BIN SOURCE_DIR
set -euo pipefail
bin="$1"; src="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "docs_config_test: $*" >&2; failures=$((failures + 1)); }

# 1. The loader's keys.
perl -0777 -ne '
  while (/(?:only_keys\([^;{]*|allowed|read_limits\([^;{]*)\{((?:\s*"[a-z_0-9]+"\s*,?)+)\}/g) {
    my $list = $1; print "$1\n" while $list =~ /"([a-z_0-9]+)"/g;
  }' "$src/src/config/config_loader.cpp" | sort -u > "$dir/keys"
count=$(wc -l < "$dir/keys")
(( count > 100 )) || fail "only $count keys read from the loader: the extraction is broken"
while read -r key; do
  grep -qE "\`$key\`|\`\[\[?$key\]\]?\`|\`\[[a-z]+\.$key\]\`|\`\[$key\.[a-z]+\]\`" "$src/docs/configuration.md" || fail "docs/configuration.md lacks the key \`$key\`"
done < "$dir/keys"

# 2. The examples.
n=0
for page in "$src/README.md" "$src"/docs/*.md; do
  awk -v out="$dir/block" -v page="$(basename "$page")" '
    /^```toml check/ { inside = 1; n++; file = sprintf("%s-%s-%d.toml", out, page, n); next }
    inside && /^```/ { inside = 0; next }
    inside { print > file }' "$page"
done
for f in "$dir"/block-*.toml "$src"/conf/switchyard.toml "$src"/conf/examples/*.toml; do
  [[ -e "$f" ]] || continue
  n=$((n + 1))
  out=$(env -i PATH="$PATH" HOME="$dir" AZURE_OPENAI_RESOURCE=my-resource "$bin" --check --config "$f" 2>&1) || fail "$(basename "$f") does not pass --check: $out"
done
blocks=$(ls "$dir"/block-*.toml 2>/dev/null | wc -l)
(( blocks >= 5 )) || fail "only $blocks blocks marked toml check"

# 3. Links between pages, and the headings they point at (GitHub's anchors: lower case, punctuation
#    dropped, spaces to dashes; headings inside code blocks are not headings).
anchors() {
  awk '/^```/ { fence = !fence; next } !fence && /^#+ / { sub(/^#+ /, ""); print }' "$1" \
    | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9 _-]//g; s/ /-/g'
}
for page in "$src/README.md" "$src"/docs/*.md; do
  base=$(dirname "$page")
  while read -r target; do
    file="${target%%#*}"
    [[ -z "$file" ]] && file=$(basename "$page")
    [[ -e "$base/$file" ]] || { fail "$(basename "$page") links to $target, which does not exist"; continue; }
    [[ "$target" == *"#"* && "$file" == *.md ]] || continue
    anchors "$base/$file" | grep -qx -- "${target#*#}" || fail "$(basename "$page") links to $target: no such heading"
  done < <(grep -oE '\]\([^):]*(#[^)]*)?\)' "$page" | sed -E 's/^\]\(([^)]*)\)$/\1/' | grep -v '^http' | grep .)
done

(( failures == 0 )) || exit 1
echo "docs_config_test: $count loader keys documented; $n files and blocks pass --check ($blocks from the pages); links and their anchors resolve"
