"""HW2 instructor reference: batch norm (by hand and in code), a naive convolution, a small
CNN, SGD with momentum and weight decay, and one epoch of training."""
