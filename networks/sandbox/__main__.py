"""Run the sandbox networks: `python -m networks.sandbox [--port 8001]` (the demo does)."""

import argparse
import os

import django

from .core import KEEP


def main() -> None:
    parser = argparse.ArgumentParser(description="Crieur's sandbox networks (loopback only).")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument(
        "--timeout-hold",
        type=float,
        default=2.0,
        help="seconds a 'timeout' fault holds the answer (beyond the client's timeout: a "
        "real timeout; below it: a delay); a fault may say its own",
    )
    parser.add_argument(
        "--rate-limit-reset",
        type=int,
        default=900,
        help="seconds until a rate limit resets (X's x-rate-limit-reset); a fault may say its own",
    )
    parser.add_argument(
        "--keep",
        type=int,
        default=KEEP,
        help=f"requests kept per network for the sandbox page (default {KEEP}; 0: all)",
    )
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crieur.settings.dev")
    django.setup()
    from .runner import configured_sandbox

    sandbox = configured_sandbox(
        timeout_hold=arguments.timeout_hold,
        rate_limit_reset=arguments.rate_limit_reset,
        keep=arguments.keep,
    )
    print(f"Sandbox networks on http://127.0.0.1:{arguments.port}/", flush=True)  # noqa: T201
    sandbox.serve_forever("127.0.0.1", arguments.port)


if __name__ == "__main__":
    main()
