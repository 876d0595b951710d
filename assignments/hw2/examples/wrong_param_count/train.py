def train_one_epoch(model, X, y, optimizer, loss_fn, batch_size):
    model.train()
    losses = []
    for i in range(0, X.shape[0], batch_size):
        xb, yb = X[i:i + batch_size], y[i:i + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item() * len(xb))
    return sum(losses) / X.shape[0]
