"""Run the sandbox networks: `python -m publishing.sandbox [--port 8001]` (the demo does)."""

import argparse
import os

import django


def main() -> None:
    parser = argparse.ArgumentParser(description="Crieur's sandbox networks (loopback only).")
    parser.add_argument("--port", type=int, default=8001)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crieur.settings.dev")
    django.setup()
    from .runner import configured_sandbox

    sandbox = configured_sandbox()
    print(f"Sandbox networks on http://127.0.0.1:{arguments.port}/", flush=True)  # noqa: T201
    sandbox.serve_forever("127.0.0.1", arguments.port)


if __name__ == "__main__":
    main()
