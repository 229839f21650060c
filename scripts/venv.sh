#!/usr/bin/env bash
# Make sure .venv exists and holds the pinned packages of a requirements file.
#
#   scripts/venv.sh requirements.txt        # to run the app
#   scripts/venv.sh requirements-test.txt   # to run the tests
#
# pip runs only when the requirements changed since the last install: a stamp
# in .venv records a checksum of the file and of the files it includes (-r).
set -euo pipefail
cd "$(dirname "$0")/.."

requirements=${1:-requirements.txt}
venv=.venv

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    scripts/apt-ensure.sh python3-venv
fi
if [[ ! -x $venv/bin/python ]]; then
    echo "==> Creating $venv"
    python3 -m venv "$venv"
fi

# The file itself and every file it pulls in with "-r", checksummed together.
files=("$requirements")
while read -r included; do
    files+=("$included")
done < <(sed -n 's/^-r[[:space:]]*//p' "$requirements")
checksum=$(cat "${files[@]}" | sha256sum | cut -d' ' -f1)

stamp=$venv/.installed-$(basename "$requirements")
if [[ -f $stamp && $(cat "$stamp") == "$checksum" ]]; then
    exit 0
fi

echo "==> Installing $requirements into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --requirement "$requirements"
echo "$checksum" >"$stamp"
