import torch


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = torch.mean(x, dim=0, keepdim=True)
    var = torch.var(x, dim=0, keepdim=True)  # unbiased: divides by N - 1
    xhat = (x - mu) / torch.sqrt(var + eps)
    out = gamma * xhat + beta
    cache = {"x": x, "mu": mu, "var": var, "xhat": xhat, "gamma": gamma, "eps": eps}
    return out, cache


def batchnorm_backward(dout, cache):
    x, mu, var, xhat = cache["x"], cache["mu"], cache["var"], cache["xhat"]
    gamma, eps = cache["gamma"], cache["eps"]
    N = x.shape[0]
    dbeta = dout.sum(0)
    dgamma = (dout * xhat).sum(0)
    dxhat = dout * gamma
    dvar = (dxhat * (x - mu) * -0.5 * (var + eps) ** -1.5).sum(0)
    dmu = (-dxhat / torch.sqrt(var + eps)).sum(0) + dvar * (-2.0 * (x - mu)).mean(0)
    dx = dxhat / torch.sqrt(var + eps) + dvar * 2.0 * (x - mu) / N + dmu / N
    return dx, dgamma, dbeta
