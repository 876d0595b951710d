"""A wrong LeNet (fc1 of 1024 inputs, plain torch layers) that, when imported, replaces
helpers of the grader's probes module so that the probes build a right-sized model in its
place: through sys.modules, through the module found by the garbage collector, and
through the probe functions' __globals__."""
import gc
import sys
import types

import torch.nn as nn
import torch.nn.functional as F

from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5, padding=2)
        self.fc1 = nn.Linear(1024, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


class _Shown(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(3, 6, 5)
        self.conv2 = CONV(6, 16, 5)
        self.fc1 = FC(400, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


def _fake_seeded_instance(factory, seed, *, what):
    return _Shown()


def _patch(namespace):
    if isinstance(namespace, dict) and "_seeded_instance" in namespace:
        namespace["_seeded_instance"] = _fake_seeded_instance


for _module in list(sys.modules.values()):
    _patch(getattr(_module, "__dict__", None))
for _obj in gc.get_objects():
    if isinstance(_obj, types.FunctionType):
        _patch(_obj.__globals__)
    elif isinstance(_obj, dict):
        _patch(_obj)
