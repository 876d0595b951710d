"""LeNet-5 written the way the course's students write it: the scaffold's CONV / FC with
nn.Conv2d's and nn.Linear's keyword names, pooling as a module."""
import torch.nn as nn
import torch.nn.functional as F

from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(in_channels=3, out_channels=6, kernel_size=5)
        self.conv2 = CONV(in_channels=6, out_channels=16, kernel_size=5, stride=1, padding=0)
        self.fc1 = FC(in_features=16 * 5 * 5, out_features=120)
        self.fc2 = FC(in_features=120, out_features=84, bias=True)
        self.fc3 = FC(84, 10)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)

    def forward(self, x):
        out = self.pool(F.relu(self.conv1(x)))
        out = self.pool(F.relu(self.conv2(out)))
        out = out.view(out.size(0), -1)
        out = F.relu(self.fc1(out))
        out = F.relu(self.fc2(out))
        out = self.fc3(out)
        return out
