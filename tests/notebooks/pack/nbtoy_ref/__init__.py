"""The toy notebook pack's reference: lab1.ipynb (the instructor's solution notebook), its
data (data/dataset.mat) and the hidden data set (hidden.json)."""
