"""Writes the pack's notebooks (run once; the outputs are committed):

- reference/SimpleNN.ipynb: the course's starter notebook `SimpleNN_raw.ipynb` (15 cells,
  the "Code block" structure and names of the handout) with every `Your code here` filled;
- examples/*/SimpleNN.ipynb: the example submission (the students' shape: `%matplotlib
  inline`, Colab-style cells, the course's CONV/FC copied in block 2) and typical wrong ones.

Run: `python assignments/ece661-f23-hw1/tools/make_notebooks.py`.
"""

from __future__ import annotations

import json
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent

BLOCK1 = """import argparse
import os, sys
import time
import datetime
import math
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.nn.modules.utils import _single, _pair, _triple
%matplotlib inline"""

# "Code block 2: Useful classes" as the course ships it (nothing to fill).
BLOCK2 = """class CONV(nn.Conv2d):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1,
                 padding=0, dilation=1, groups=1,
                 bias=False, padding_mode='zeros'):
        self.input = None
        self.output = None
        kernel_size = _pair(kernel_size)
        stride = _pair(stride)
        padding = _pair(padding)
        dilation = _pair(dilation)
        super(CONV, self).__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation,
            groups, bias, padding_mode)

    def forward(self, input):
        self.input = input
        self.output = super(CONV, self).forward(input)
        return self.output


class FC(nn.Linear):
    def __init__(self, in_features, out_features, bias=True):
        self.input = None
        self.output = None
        super(FC, self).__init__(in_features, out_features, bias)

    def forward(self, input):
        self.input = input
        self.output = F.linear(input, self.weight, self.bias)
        return self.output"""

BLOCK3 = '''"""
Lab 2(a)
Build the SimpleNN model by following Table 1
"""

# Create the neural network module: LeNet-5
class SimpleNN(nn.Module):
    def __init__(self):
        super(SimpleNN, self).__init__()
        # Layer definition
        self.conv1 = {conv1}
        self.conv2 = {conv2}
        self.conv3 = {conv3}
        self.fc1 = {fc1}
        self.fc2 = {fc2}

    def forward(self, x):
        # Forward pass computation
        # Conv 1
        out = F.relu(self.conv1(x))
        # MaxPool
        out = F.max_pool2d(out, {pool1})
        # Conv 2
        out = F.relu(self.conv2(out))
        # MaxPool
        out = F.max_pool2d(out, {pool2})
        # Conv 3
        out = F.relu(self.conv3(out))
        # MaxPool
        out = F.max_pool2d(out, {pool3})
        # Flatten
        out = torch.flatten(out, 1)
        # FC 1
        out = F.relu(self.fc1(out))
        # FC 2
        out = F.relu(self.fc2(out))
        return out

# GPU check
device = 'cuda' if torch.cuda.is_available() else 'cpu'
if device == 'cuda':
    print("Run on GPU...")
else:
    print("Run on CPU...")

# Model Definition
net = SimpleNN()
net = net.to(device)

# Test forward pass
data = torch.randn(5, 3, 32, 32)
data = data.to(device)
# Forward pass "data" through "net" to get output "out"
out = net(data)

# Check output shape
assert(out.detach().cpu().numpy().shape == (5, 10))
print("Forward pass successful")'''

BLOCK4 = '''"""
Lab 2(b)
"""
# Forward pass of a single image
data = torch.randn(1, 3, 32, 32).to(device)
# Forward pass "data" through "net" to get output "out"
out = net(data)

# Iterate through all the CONV and FC layers of the model
for name, module in net.named_modules():
    if isinstance(module, CONV) or isinstance(module, FC):
        # Get the input feature map of the module as a NumPy array
        input = module.input.detach().cpu().numpy()
        # Get the output feature map of the module as a NumPy array
        output = module.output.detach().cpu().numpy()
        # Get the weight of the module as a NumPy array
        weight = module.weight.detach().cpu().numpy()
        # Compute the number of parameters in the weight
        num_Param = weight.size
        # Compute the number of MACs in the layer
        num_MAC = {macs}

        print(f'{{name:10}} {{str(input.shape):20}} {{str(output.shape):20}} {{str(weight.shape):20}} {{num_Param:10}} {{num_MAC:10}}')'''

BLOCK5 = """# Lab 3(a)
for name, module in net.named_modules():
    if isinstance(module, CONV) or isinstance(module, FC):
        # Get the weight of the module as a NumPy array
        weight = module.weight.detach().cpu().numpy()
        # Reshape for histogram
        weight = weight.reshape(-1)
        _ = plt.hist(weight, bins=20)
        plt.title("Weight histogram of layer " + name)
        plt.show()"""

BLOCK6 = """# Lab 3(b)
# Loss definition
criterion = nn.MSELoss()
# Random target
target = torch.randn(1, 10).to(device)
# Loss computation
loss = criterion(out, target)
# Backward pass for gradients
loss.backward()

for name, module in net.named_modules():
    if isinstance(module, CONV) or isinstance(module, FC):
        # Get the gradient of the module as a NumPy array
        gradient = module.weight.grad.detach().cpu().numpy()
        # Reshape for histogram
        gradient = gradient.reshape(-1)
        _ = plt.hist(gradient, bins=20)
        plt.title("Gradient histogram of layer " + name)
        plt.show()"""

BLOCK7 = """# Lab 3(c)
# Set model weights to zero
for name, module in net.named_modules():
    if isinstance(module, CONV) or isinstance(module, FC):
        # Set the weight of each module to all zero
        {zero}

# Reset gradients
net.zero_grad()

# Forward and backward pass
# Random data and target
data = torch.randn(1, 3, 32, 32).to(device)
target = torch.randn(1, 10).to(device)
# Forward pass
out = net(data)
# Loss computation
loss = criterion(out, target)
# Backward pass
loss.backward()

for name, module in net.named_modules():
    if isinstance(module, CONV) or isinstance(module, FC):
        # Get the gradient of the module as a NumPy array
        gradient = module.weight.grad.detach().cpu().numpy()
        # Reshape for histogram
        gradient = gradient.reshape(-1)
        _ = plt.hist(gradient, bins=20)
        plt.title("Gradient histogram of layer " + name)
        plt.show()"""

RIGHT = {
    "conv1": "CONV(3, 16, kernel_size=5, stride=1, padding=2)",
    "conv2": "CONV(16, 16, 3, 1, 2)",
    "conv3": "CONV(in_channels=16, out_channels=32, kernel_size=7, stride=1, padding=2)",
    "fc1": "FC(288, 32)",
    "fc2": "FC(in_features=32, out_features=10)",
    "pool1": "kernel_size=4, stride=2",
    "pool2": "kernel_size=3, stride=2",
    "pool3": "kernel_size=2, stride=2",
    "macs": "output.size * weight[0].size if isinstance(module, CONV) else weight.size",
    "zero": "module.weight.data.fill_(0)",
}


def notebook(fills: dict[str, str], *, colab: bool = False) -> dict:
    """The 15 cells of SimpleNN_raw.ipynb, filled in."""
    md = [
        "## Code block 1: Package initialization\nImport required packages. Do not change.",
        "## Code block 2: Useful classes\nCustomized CONV and FC layers (see nn.Conv2d and nn.Linear). Do not change.",
        "## Lab 2\n### Code block 3: SimpleNN implementation",
        "### Code block 4: Shape observation\nLab 2(a)",
        "## Lab 3 (Bonus)\n### Code block 5: Initial weight histogram",
        "### Code block 6: Gradient histogram",
        "### Code block 7: Zero initialization?",
    ]
    block1 = BLOCK1 + ("\n!pip install torchsummary" if colab else "")
    code = [block1, BLOCK2, BLOCK3.format(**fills), BLOCK4.format(**fills), BLOCK5, BLOCK6, BLOCK7.format(**fills)]
    cells = []
    for m, c in zip(md, code):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": m.splitlines(keepends=True)})
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": c.splitlines(keepends=True)})
    cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": []})
    meta = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.7.10"}}
    if colab:
        meta["colab"] = {"name": "SimpleNN.ipynb", "provenance": []}
    return {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 4}


# Typical wrong notebooks: (folder under examples/, what differs from RIGHT)
WRONG: dict[str, dict[str, str]] = {
    # max-pool without stride=2: PyTorch's stride defaults to the kernel, so 8x8 after pool 1
    # and FC1's 288 inputs do not match: the forward pass fails in block 3
    "wrong-pool-stride": {"pool1": "4", "pool2": "3", "pool3": "2", "fc1": "FC(32, 32)"},
    # MACs without the output size, and only the weights of FC layers zeroed
    "wrong-macs-zero": {"macs": "weight.size", "zero": "module.weight.data.fill_(0) if isinstance(module, FC) else None"},
}


def write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    write(PACK / "reference" / "SimpleNN.ipynb", notebook(RIGHT))
    write(PACK / "examples" / "example" / "SimpleNN.ipynb", notebook(RIGHT, colab=True))
    for folder, diff in WRONG.items():
        write(PACK / "examples" / folder / "SimpleNN.ipynb", notebook({**RIGHT, **diff}))


if __name__ == "__main__":
    main()
