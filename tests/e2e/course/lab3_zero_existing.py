"""Lab 3 as a student of the course writes it: zero every weight, and every bias that
exists (the course's CONV has none), through `.data` as the course's notebooks do."""
import torch.nn.functional as F

from scaffold import CONV, FC


def layer_gradients(model, images, labels):
    model.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def zero_init(model):
    for _name, module in model.named_modules():
        if isinstance(module, (CONV, FC)):
            module.weight.data.fill_(0)
            if isinstance(module, FC):  # CONV has no bias
                module.bias.data.fill_(0)
