# ECE661 HW1 - Lab 1: LMS algorithm
# (originally run on Google Colab)
import numpy as np
import matplotlib.pyplot as plt
from scipy.io import loadmat
from mpl_toolkits.mplot3d import Axes3D

mat = loadmat('/content/drive/MyDrive/ECE661/HW1/dataset.mat')
X = mat['X']
D = mat['D']
print(X.shape, D.shape)

# (a) Wiener solution
R = np.matmul(X.T, X) / 100
P = np.matmul(X.T, D) / 100
W_star = np.linalg.inv(R) @ P
MSE_star = np.mean((D - X @ W_star) ** 2)
print("W* =", W_star.ravel())
print("MSE(W*) =", MSE_star)

# (b) LMS with r = 0.01
r = 0.01
W = np.zeros((3, 1))
mse = []
for epoch in range(20):
    for k in range(100):
        x_k = X[k].reshape(3, 1)
        e = D[k, 0] - (x_k.T @ W)[0, 0]
        W = W + r * e * x_k
    mse.append(np.mean((D - X @ W) ** 2))
W_lms = W
print("final W =", W_lms.ravel())

plt.plot(range(1, 21), mse)
plt.yscale('log')
plt.xlabel('epoch')
plt.ylabel('MSE')
plt.title('MSE vs epoch (r = 0.01)')
plt.show()

# (c) 3D plot
fig = plt.figure(figsize=(8, 6))
ax = fig.add_subplot(projection='3d')
ax.scatter(X[:, 1], X[:, 2], D[:, 0], c='k', marker='.')
x1, x2 = np.meshgrid(np.linspace(-3.5, 3, 10), np.linspace(-2.5, 2.5, 10))
ax.plot_wireframe(x1, x2, W_star[0] + W_star[1] * x1 + W_star[2] * x2, color='r', label='closed form')
ax.plot_surface(x1, x2, W_lms[0] + W_lms[1] * x1 + W_lms[2] * x2, alpha=0.3, label='LMS')
ax.set_xlabel('x1'); ax.set_ylabel('x2'); ax.set_zlabel('d')
plt.show()

# (d) learning rates
plt.figure()
for r in [0.005, 0.01, 0.05, 0.5]:
    W = np.zeros((3, 1))
    mse_r = []
    for epoch in range(20):
        for k in range(100):
            x_k = X[k].reshape(3, 1)
            W = W + r * (D[k, 0] - (x_k.T @ W)[0, 0]) * x_k
        mse_r.append(np.mean((D - X @ W) ** 2))
    plt.plot(range(1, 21), mse_r, label='r=' + str(r))
plt.yscale('log')
plt.legend()
plt.xlabel('epoch')
plt.ylabel('MSE')
plt.show()

# r = 1
W = np.zeros((3, 1))
for epoch in range(20):
    for k in range(100):
        x_k = X[k].reshape(3, 1)
        W = W + 1.0 * (D[k, 0] - (x_k.T @ W)[0, 0]) * x_k
    print(epoch + 1, np.mean((D - X @ W) ** 2))
