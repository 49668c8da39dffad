#!/usr/bin/python3
"""Ground truth for tests/verify/caffenet.test.ts: BVLC's CaffeNet (bvlc_reference_caffenet
deploy.prototxt) rebuilt by hand in PyTorch, one module per Caffe layer, named as the layers are.

Caffe → PyTorch, layer by layer (deploy input: 10 × 3 × 227 × 227):
  Convolution (num_output, kernel_size, stride, pad, group) → Conv2d(…, groups=group), with bias
  ReLU                                                     → ReLU
  Pooling MAX (kernel_size 3, stride 2, no pad)           → MaxPool2d(3, 2, ceil_mode=True)
      (Caffe rounds pooled sizes up; with no padding and these sizes no window starts outside
       the input, so ceil_mode agrees with Caffe here)
  LRN (local_size 5, alpha 1e-4, beta 0.75, k 1)          → LocalResponseNorm(5, 1e-4, 0.75, 1)
  InnerProduct (num_output)                               → flatten from axis 1, then Linear
  Dropout                                                 → Dropout
  Softmax                                                 → Softmax(dim=1)

Runs one forward pass on zeros and prints JSON:
  {"torch": "1.13…", "params": int, "input": [10, 3, 227, 227],
   "layers": {CAFFE_LAYER: {"shape": [...], "params": int}}}
Exit status 3 with {"skip": reason} when torch cannot be imported.
"""
import json
import sys
from collections import OrderedDict

try:
    import torch
    from torch import nn
except Exception as e:  # ImportError, or a broken install that fails while importing
    print(json.dumps({"skip": f"{type(e).__name__}: {e}"}))
    sys.exit(3)


class InnerProduct(nn.Linear):
    """Caffe's InnerProduct: flattens every axis after the first, then a Linear layer."""

    def forward(self, x):
        return super().forward(torch.flatten(x, 1))


def caffenet():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 96, kernel_size=11, stride=4)),
        ("relu1", nn.ReLU(inplace=True)),
        ("pool1", nn.MaxPool2d(3, stride=2, ceil_mode=True)),
        ("norm1", nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)),
        ("conv2", nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2)),
        ("relu2", nn.ReLU(inplace=True)),
        ("pool2", nn.MaxPool2d(3, stride=2, ceil_mode=True)),
        ("norm2", nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)),
        ("conv3", nn.Conv2d(256, 384, kernel_size=3, padding=1)),
        ("relu3", nn.ReLU(inplace=True)),
        ("conv4", nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=2)),
        ("relu4", nn.ReLU(inplace=True)),
        ("conv5", nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2)),
        ("relu5", nn.ReLU(inplace=True)),
        ("pool5", nn.MaxPool2d(3, stride=2, ceil_mode=True)),
        ("fc6", InnerProduct(256 * 6 * 6, 4096)),
        ("relu6", nn.ReLU(inplace=True)),
        ("drop6", nn.Dropout(0.5)),
        ("fc7", InnerProduct(4096, 4096)),
        ("relu7", nn.ReLU(inplace=True)),
        ("drop7", nn.Dropout(0.5)),
        ("fc8", InnerProduct(4096, 1000)),
        ("prob", nn.Softmax(dim=1)),
    ]))


def main():
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    model = caffenet().eval()
    shape = [10, 3, 227, 227]
    layers = OrderedDict()
    for name, module in model.named_children():
        def hook(_m, _i, output, name=name, module=module):
            layers[name] = {"shape": list(output.shape), "params": sum(p.numel() for p in module.parameters())}
        module.register_forward_hook(hook)
    with torch.no_grad():
        model(torch.zeros(*shape))
    print(json.dumps({
        "torch": torch.__version__,
        "params": sum(p.numel() for p in model.parameters()),
        "input": shape,
        "layers": layers,
    }))


if __name__ == "__main__":
    main()
