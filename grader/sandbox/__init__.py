"""Run trusted probe functions on untrusted student code in isolated children, and bring
back plain data only.

    with Sandbox(probes_file=..., support_files={"scaffold.py": ...}) as box:
        results = box.run(submission_dir, [ProbeCall("c1", "lab1", "closed_form", {"dataset": "course"})])

The design (zygote, supervisor, child; the isolation layers; the result codec; blast
radius; known limits) is in docs/sandbox.md.
"""

from ._parent import NO_NAMESPACES_ENV, Sandbox, discard_prespawned, prespawn
from ._types import STATUSES, CallResult, Limits, ProbeCall, SandboxError, Status

__all__ = ["NO_NAMESPACES_ENV", "STATUSES", "CallResult", "Limits", "ProbeCall", "Sandbox", "SandboxError", "Status",
           "discard_prespawned", "prespawn"]
