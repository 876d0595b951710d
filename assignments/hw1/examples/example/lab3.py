"""Lab 3: gradients at initialization."""
import torch
import torch.nn.functional as F


def layer_gradients(model, images, labels):
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def zero_init(model):
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
