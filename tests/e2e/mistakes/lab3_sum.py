import torch
import torch.nn.functional as F


def layer_gradients(model, images, labels):
    model.zero_grad()
    F.cross_entropy(model(images), labels, reduction="sum").backward()
    return {n: p.grad for n, p in model.named_parameters()}


def zero_init(model):
    for name, p in model.named_parameters():
        if name.endswith("weight"):
            torch.nn.init.zeros_(p)   # forgets the biases
