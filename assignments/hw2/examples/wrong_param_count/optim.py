import torch


def sgd_momentum_step(params, grads, velocities, lr, momentum, weight_decay):
    with torch.no_grad():
        for i in range(len(params)):
            g = grads[i] + weight_decay * params[i]
            velocities[i].copy_(momentum * velocities[i] + g)
            params[i].copy_(params[i] - lr * velocities[i])
