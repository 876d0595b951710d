"""Lab 2: LeNet-5 from the course's CONV and FC modules."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(3, 6, 5)
        self.conv2 = CONV(6, 16, 5)
        self.fc1 = FC(400, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)
        self.pool = nn.MaxPool2d(2, 2)

    def forward(self, x):
        out = self.pool(F.relu(self.conv1(x)))
        out = self.pool(F.relu(self.conv2(out)))
        out = out.reshape(out.shape[0], -1)
        out = F.relu(self.fc1(out))
        out = F.relu(self.fc2(out))
        return self.fc3(out)
