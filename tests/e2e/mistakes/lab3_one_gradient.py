import torch
import torch.nn.functional as F


def layer_gradients(model, images, labels):
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    name, p = next(iter(model.named_parameters()))
    return {name: p.grad.detach().clone()}  # only the first of the 8 parameters


def zero_init(model):
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
