# ECE 661 HW1, Lab 1: LMS on dataset.mat (the reference "code file", written the way the
# students write theirs: top-level code that leaves its results in variables and draws).
import numpy as np
import matplotlib.pyplot as plt
import scipy.io as sio
from mpl_toolkits.mplot3d import Axes3D  # noqa: F401

data = sio.loadmat('dataset.mat')
X = data['X']            # (100, 3), first column all ones
D = data['D'].ravel()    # (100,)
N = X.shape[0]

# (a) closed form: W* = R^-1 P
R = X.T @ X / N
P = X.T @ D / N
W_star = np.linalg.inv(R) @ P
mse_star = np.mean((D - X @ W_star) ** 2)
print('W* =', W_star, 'MSE(W*) =', mse_star)


def run_lms(r, epochs=20):
    W = np.zeros(3)
    history = [np.mean((D - X @ W) ** 2)]
    for epoch in range(epochs):
        for k in range(N):
            e = D[k] - X[k] @ W
            W = W + r * e * X[k]
        history.append(np.mean((D - X @ W) ** 2))
    return W, history


# (b) LMS, r = 0.01, 20 epochs
W_lms, mse_lms = run_lms(0.01)
print('W(20) =', W_lms)
plt.figure()
plt.semilogy(mse_lms, marker='o')
plt.title('LMS learning curve, r = 0.01')
plt.xlabel('epoch')
plt.ylabel('MSE (log scale)')
plt.show()

# (c) the data and both models in 3D
fig = plt.figure()
ax = fig.add_subplot(111, projection='3d')
ax.scatter(X[:, 1], X[:, 2], D, s=6, label='data')
g1, g2 = np.meshgrid(np.linspace(-3.3, 2.6, 12), np.linspace(-2.3, 2.3, 12))
ax.plot_surface(g1, g2, W_star[0] + W_star[1] * g1 + W_star[2] * g2, alpha=0.3)
ax.plot_surface(g1, g2, W_lms[0] + W_lms[1] * g1 + W_lms[2] * g2, alpha=0.3)
ax.set_title('dataset.mat with the closed-form and LMS planes')
plt.show()

# (d) learning rates
curves = {}
plt.figure()
for r in [0.005, 0.01, 0.05, 0.5]:
    W_r, curves[r] = run_lms(r)
    plt.semilogy(curves[r], label='r = %g' % r)
plt.title('LMS MSE per epoch for four learning rates')
plt.xlabel('epoch')
plt.ylabel('MSE (log scale)')
plt.legend()
plt.show()

with np.errstate(over='ignore', invalid='ignore'):
    W_1, mse_r1 = run_lms(1.0)
print('r = 1, MSE per epoch:', mse_r1)
