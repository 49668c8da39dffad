"""PyTorch side of bench/train: the reference CIFAR-size CNN, timed for training or
inference. Prints one JSON line: {"mode", "images_per_s", "ms_per_batch", "threads"}."""
import json
import sys
import time

import torch
import torch.nn as nn

mode, steps, batch, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)

net = nn.Sequential(
    nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
    nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
    nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10),
)
x = torch.randn(batch, 3, 32, 32)
y = torch.randint(0, 10, (batch,))
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()


def train_step():
    opt.zero_grad()
    loss = loss_fn(net(x), y)
    loss.backward()
    opt.step()


def infer_step():
    with torch.no_grad():
        net(x)


if mode == 'train':
    net.train()
    step = train_step
else:
    net.eval()
    step = infer_step
for _ in range(2):
    step()
t0 = time.perf_counter()
for _ in range(steps):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"mode": mode, "images_per_s": steps * batch / dt, "ms_per_batch": 1000 * dt / steps,
                  "threads": torch.get_num_threads()}))
