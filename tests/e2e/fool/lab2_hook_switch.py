"""A wrong LeNet (padded convolutions, fc1 of 1024 inputs) that runs right-sized layers
instead whenever forward hooks are attached, i.e. while a grader measures it."""
import torch.nn as nn
import torch.nn.functional as F

from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(3, 6, 5, padding=2)
        self.conv2 = CONV(6, 16, 5, padding=2)
        self.fc1 = FC(1024, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)
        self.shown_conv1 = CONV(3, 6, 5)
        self.shown_conv2 = CONV(6, 16, 5)
        self.shown_fc1 = FC(400, 120)

    def _measured(self):
        return any(m._forward_hooks for m in self.modules())

    def forward(self, x):
        if self._measured():
            x = F.max_pool2d(F.relu(self.shown_conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.shown_conv2(x)), 2)
            x = F.relu(self.shown_fc1(x.flatten(1)))
        else:
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = F.relu(self.fc1(x.flatten(1)))
        return self.fc3(F.relu(self.fc2(x)))
