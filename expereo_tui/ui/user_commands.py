"""Your own commands on the selected case (``[profiles.x.commands.NAME]``: a key and an argv).

The program runs as ``argv`` says, with the app suspended so it has the terminal (an ``ssh``,
a ``less``); nothing of the case is pasted into it.  The case's fields reach it as environment
variables, so a value from the API (a subject with ``; rm -rf ~`` in it) is only ever data:
``argv = ["sh", "-c", 'ping -c 3 "$EXPEREO_SERVICE_ID"']`` quotes it as the shell should.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

    from expereo_tui.api.models import Case

#: the case's fields, as the program sees them (docs/usage.md lists them)
ENV_FIELDS = {
    "EXPEREO_CASE_ID": "id",
    "EXPEREO_CASE_STATUS": "status",
    "EXPEREO_CASE_PRIORITY": "priority",
    "EXPEREO_CASE_TYPE": "type",
    "EXPEREO_CASE_SUBJECT": "subject",
    "EXPEREO_SERVICE_ID": "service_id",
    "EXPEREO_SITE_ID": "site_id",
    "EXPEREO_ACCOUNT_ID": "account_id",
    "EXPEREO_CUSTOMER_REFERENCE": "customer_reference",
}


def case_env(case: Case | None, case_id: str, profile: str) -> dict[str, str]:
    """The variables a command gets for ``case`` (only ``EXPEREO_CASE_ID`` when the store has
    no more of it).  Values are strings with NUL removed (an environment cannot hold one)."""
    env = {"EXPEREO_PROFILE": profile, "EXPEREO_CASE_ID": case_id}
    if case is not None:
        for var, attr in ENV_FIELDS.items():
            value = getattr(case, attr, None)
            if value is not None:
                env[var] = str(getattr(value, "value", value)).replace("\x00", "")
    return env


def run_command(app: App[Any], argv: list[str], env: Mapping[str, str]) -> str:
    """Run ``argv`` with the app suspended; returns one line for the user about how it ended.
    The environment is this process's, less the secrets the app itself was given."""
    full = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EXPEREO_CLIENT_SECRET", "EXPEREO_TEAM_PASSWORD"))
    }
    full.update(env)
    program = os.path.basename(argv[0]) or argv[0]
    try:
        with app.suspend():
            result = subprocess.run(argv, env=full, check=False)
    except FileNotFoundError:
        return f"{argv[0]}: no such program"
    except Exception as exc:  # no terminal to give (serve), a permission: said, not raised
        return f"{program} could not run ({type(exc).__name__})"
    if result.returncode == 0:
        return f"{program} done"
    return f"{program} exited with {result.returncode}"
