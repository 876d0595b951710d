import torch
import torch.nn.functional as F


def conv2d_naive(x, w, b, stride=1, padding=0):
    N, C, H, W = x.shape
    F_, _, KH, KW = w.shape
    xp = x  # (padding forgotten)
    H_out = (H - KH) // stride + 1
    W_out = (W - KW) // stride + 1
    out = torch.empty((N, F_, H_out, W_out), dtype=x.dtype, device=x.device)
    for n in range(N):
        for f in range(F_):
            for i in range(H_out):
                for j in range(W_out):
                    patch = xp[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
                    out[n, f, i, j] = torch.sum(patch * w[f]) + b[f]
    return out
