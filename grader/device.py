"""Device selection. Grading on CUDA switches TF32 off so float32 results stay within the
tolerance table's float32 rows (TF32 matmul/conv would need 1e-3-level tolerances)."""

from __future__ import annotations


class DeviceError(Exception):
    """The requested device cannot be used here."""


def resolve_device(requested: str) -> str:
    if requested not in ("auto", "cpu", "cuda"):
        raise DeviceError(f"--device must be auto, cpu or cuda, not {requested!r}")
    if requested == "cpu":
        return "cpu"
    import torch

    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise DeviceError("--device cuda: no CUDA device is available on this machine (use --device cpu or auto)")
    if available:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        return "cuda"
    return "cpu"
