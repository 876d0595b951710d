"""Plain torch layers instead of the course's CONV/FC, with the scaffold's names rebound
to the torch classes so that an isinstance test against `scaffold.CONV` passes."""
import torch.nn as nn
import torch.nn.functional as F

import scaffold

scaffold.CONV = nn.Conv2d
scaffold.FC = nn.Linear


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
