import torch


def sgd_momentum_step(params, grads, velocities, lr, momentum, weight_decay):
    with torch.no_grad():
        for p, g, v in zip(params, grads, velocities):
            v.mul_(momentum).add_(g)             # momentum on the raw gradient
            p.sub_(lr * (v + weight_decay * p))  # weight decay added afterwards
