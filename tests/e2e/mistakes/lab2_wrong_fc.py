import torch.nn as nn
import torch.nn.functional as F

from scaffold import CONV, FC


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = CONV(3, 6, 5, padding=2)     # keeps 32x32: fc1 sees 16*8*8
        self.conv2 = CONV(6, 16, 5, padding=2)
        self.fc1 = FC(1024, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
