"""PyTorch side of bench/train: the models of models.mjs, timed for training (SGD,
momentum 0.9, cross-entropy) or inference on fixed random data.

    python3 torch_models.py MODEL MODE STEPS BATCH THREADS

Prints one JSON line: {"model", "mode", "images_per_s", "ms_per_batch", "threads"}."""
import json
import sys
import time

import torch
import torch.nn as nn

model, mode, steps, batch, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(0)


def reference_cnn():
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10),
    ), (3, 32, 32), 10


def caffe_alexnet():
    # specs/alexnet.nnspec: Caffe's AlexNet (LRN over 5 channels, alpha divided by the size as
    # both Caffe and nn.LocalResponseNorm do; groups 2; pooling rounded up).
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(),
        nn.MaxPool2d(3, 2, ceil_mode=True),
        nn.Flatten(), nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4096, 1000),
    ), (3, 224, 224), 1000


net, shape, classes = {"cnn": reference_cnn, "alexnet": caffe_alexnet}[model]()
x = torch.randn(batch, *shape)
y = torch.randint(0, classes, (batch,))
with torch.no_grad():
    net(x)  # sizes the lazy layer before the optimiser sees the parameters
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
print(json.dumps({"model": model, "mode": mode, "images_per_s": steps * batch / dt, "ms_per_batch": 1000 * dt / steps,
                  "threads": torch.get_num_threads()}))
