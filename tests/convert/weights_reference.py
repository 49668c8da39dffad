"""
Checks a PyTorch module that `nnspec convert --weights` emitted against tests/fixtures/weights/
tiny.prototxt computed directly with torch ops from the caffemodel's raw blobs (as Caffe
defines each layer), not through anything nnspec wrote.

argv: the emitted .py file. stdin: JSON {"blobs": {...}, "bn_factor": f}. Prints JSON.
Exit 3 with {"skip": why} when torch cannot be imported.
"""
import importlib.util
import json
import sys

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001
    print(json.dumps({"skip": str(e)}))
    sys.exit(3)

spec = importlib.util.spec_from_file_location("converted", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
given = json.load(sys.stdin)
b = {k: torch.tensor(v, dtype=torch.float32) for k, v in given["blobs"].items()}
factor = given["bn_factor"]

torch.manual_seed(0)
x = torch.randn(1, 3, 8, 8)

with torch.no_grad():
    model = module.pretrained()
    out = model(x)
    fc1, up1 = out

    # Caffe: Convolution (pad 1), BatchNorm with use_global_stats (running sums / scale factor,
    # eps 1e-5), Scale with bias, ReLU, MAX pooling 2/2, InnerProduct over C·H·W, Deconvolution.
    y = F.conv2d(x, b["convW"].reshape(4, 3, 3, 3), b["convB"], padding=1)
    mean = torch.tensor([4.0, 8.0, -2.0, 1.0]) / factor
    var = torch.tensor([8.0, 2.0, 4.0, 0.5]) / factor
    y = (y - mean.view(1, -1, 1, 1)) / torch.sqrt(var.view(1, -1, 1, 1) + 1e-5)
    y = y * b["scaleW"].view(1, -1, 1, 1) + b["scaleB"].view(1, -1, 1, 1)
    y = torch.relu(y)
    pool = F.max_pool2d(y, 2, 2)
    ref_fc1 = pool.reshape(1, -1) @ b["fcW"].reshape(5, 64).t() + b["fcB"]
    ref_up1 = F.conv_transpose2d(pool, b["deconvW"].reshape(4, 2, 2, 2), stride=2)

print(json.dumps({
    "fc1": float((fc1 - ref_fc1).abs().max()),
    "up1": float((up1 - ref_up1).abs().max()),
    "fc1_shape": list(fc1.shape),
    "up1_shape": list(up1.shape),
    "scale": float(ref_fc1.abs().max()),
}))
