"""Starts ``rasa <args>`` with ``--auth-token`` taken from the environment, so that ``ps`` (which shows every user
the command lines) never shows the token: ``python nlu/launch.py run --enable-api -m models …`` with
``CHANIA_RASA_AUTH_TOKEN`` (set by bot/rasa/server.py) or ``RASA_TOKEN`` (the deployment's env file). The variables
are removed before Rasa runs. Without a token it refuses to start: the NLU server never runs open."""

from __future__ import annotations

import os
import sys

TOKEN_VARS = ("CHANIA_RASA_AUTH_TOKEN", "RASA_TOKEN")


def main() -> None:
    token = next((os.environ[v] for v in TOKEN_VARS if os.environ.get(v)), "")
    for name in TOKEN_VARS:
        os.environ.pop(name, None)
    if not token:
        sys.exit(f"error: set {' or '.join(TOKEN_VARS)}: the Rasa server does not start without a token")
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]  # "=": a token may begin with "-"
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
