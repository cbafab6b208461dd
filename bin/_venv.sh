# Sourced by bin/demo and bin/test: make sure .venv exists with Crieur installed.
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "Creating the virtual environment in .venv"
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.crieur-installed-$1"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "Installing Crieur and its dependencies ($1)"
    .venv/bin/python -m pip install --quiet --upgrade pip
    if [ "$1" = dev ]; then
        .venv/bin/python -m pip install --quiet -e '.[dev]'
    else
        .venv/bin/python -m pip install --quiet -e .
    fi
    echo "$wanted" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
