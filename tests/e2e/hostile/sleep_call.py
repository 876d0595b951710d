# closed_form sleeps past the timeout; lms is sound and must keep its points
import time
import numpy as np


def closed_form(X, y):
    time.sleep(1000)


def lms(X, y, lr=0.01, epochs=20):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    w = np.zeros(3)
    hist = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for xi, yi in zip(A, y):
                w = w + lr * (yi - w @ xi) * xi
            hist.append(np.mean((A @ w - y) ** 2))
    return w, np.array(hist)
