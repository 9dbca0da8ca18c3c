#!/usr/bin/env bash
# Prints the path of the newest CPython 3 installed on this machine (pyenv's versions, then
# python3.N on PATH), or nothing.
set -uo pipefail
candidates=()
if command -v pyenv >/dev/null 2>&1; then
    root=$(pyenv root)
    for v in $(pyenv versions --bare 2>/dev/null); do
        [[ -x "$root/versions/$v/bin/python3" ]] && candidates+=("$root/versions/$v/bin/python3")
    done
fi
for n in $(seq 10 20); do
    p=$(command -v "python3.$n" 2>/dev/null) && candidates+=("$p")
done
best=""; best_version=""
for p in "${candidates[@]}"; do
    v=$("$p" -c 'import sys; print("%03d%03d" % sys.version_info[:2])' 2>/dev/null) || continue
    if [[ "$v" > "$best_version" ]]; then best="$p"; best_version="$v"; fi
done
echo "$best"
