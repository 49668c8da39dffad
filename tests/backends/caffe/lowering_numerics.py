"""Checks the Caffe backend's lowerings numerically with PyTorch.

Reads JSON cases on stdin: {"cases": [{"name", "original": <IR node>, "caffe": [<IR nodes read back
from the emitted Caffe text>], "input": [N, C, H, W]}]}. Runs the original node with PyTorch's own
operations and the Caffe layers with Caffe's semantics (written here from the Caffe sources: Power,
Eltwise, Pooling's ceil rounding, Crop, Reshape's 0/-1, DummyData), on the same random input and
weights, and prints the largest difference per case. Exit 3 with {"skip": ...} without torch.
"""
import json
import math
import sys

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001
    print(json.dumps({"skip": str(e)}))
    sys.exit(3)

torch.manual_seed(0)


def weight(shape):
    g = torch.Generator().manual_seed(1)
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def reference(node, x):
    """The IR node as PyTorch computes it."""
    op, a = node["op"], node["attrs"]
    if op == "clip":
        return torch.clamp(x, a["min"], a["max"])
    if op == "selu":
        return torch.selu(x)
    if op == "swish":
        return x * torch.sigmoid(a["beta"] * x)
    if op == "gelu":
        return F.gelu(x, approximate=a["approximate"])
    if op == "maxout":
        n, c, h, w = x.shape
        return x.view(n, c // a["pieces"], a["pieces"], h, w).amax(dim=2)
    if op == "pool":
        assert a["mode"] == "max" and a["rounding"] in ("floor", "ceil")
        return F.max_pool2d(x, a["kernel"], a["stride"], a["pad_begin"], ceil_mode=a["rounding"] == "ceil")
    if op == "adaptive_pool":
        return F.adaptive_avg_pool2d(x, a["output_size"]) if a["mode"] == "avg" else F.adaptive_max_pool2d(x, a["output_size"])
    if op == "conv":
        w = weight([a["num_output"], x.shape[1] // a["groups"], *a["kernel"]])
        (pt, pl), (pb, pr) = a["pad_begin"], a["pad_end"]
        return F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, None, a["stride"], 0, a["dilation"], a["groups"])
    raise ValueError(f"no reference for {op}")


def caffe_pool_size(size, k, s, p):
    out = math.ceil((size + 2 * p - k) / s) + 1
    if p > 0 and (out - 1) * s >= size + p:
        out -= 1
    return out


def caffe_layer(node, inputs):
    """One IR node read back from Caffe text, with Caffe's semantics."""
    op, a = node["op"], node["attrs"]
    x = inputs[0] if inputs else None
    if op == "relu":
        return torch.where(x > 0, x, x * a["negative_slope"])
    if op == "power":
        return (a["shift"] + a["scale"] * x) ** a["power"]
    if op == "eltwise":
        if a["operation"] == "sum":
            coeff = a["coeff"] or [1] * len(inputs)
            return sum(c * t for c, t in zip(coeff, inputs))
        if a["operation"] == "prod":
            out = inputs[0]
            for t in inputs[1:]:
                out = out * t
            return out
        return torch.stack(inputs).amax(dim=0)
    if op == "sigmoid":
        return torch.sigmoid(x)
    if op == "tanh":
        return torch.tanh(x)
    if op == "elu":
        return torch.where(x > 0, x, a["alpha"] * (torch.exp(x) - 1))
    if op == "reshape":
        assert a["axis"] == 0 and a["num_axes"] == -1
        dims = [x.shape[i] if d == 0 else d for i, d in enumerate(a["shape"])]
        return x.reshape(dims)
    if op == "pool":
        # pooling_layer.cpp, Forward_cpu, MAX and AVE.
        assert a["rounding"] == "caffe" and a["mode"] in ("max", "avg")
        (kh, kw), (sh, sw), (ph, pw) = a["kernel"], a["stride"], a["pad_begin"]
        height, width = x.shape[2], x.shape[3]
        oh, ow = caffe_pool_size(height, kh, sh, ph), caffe_pool_size(width, kw, sw, pw)
        out = torch.empty(x.shape[0], x.shape[1], oh, ow, dtype=x.dtype)
        for i in range(oh):
            for j in range(ow):
                hs, ws = i * sh - ph, j * sw - pw
                he, we = min(hs + kh, height + ph), min(ws + kw, width + pw)
                size = (he - hs) * (we - ws)
                hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, height), min(we, width)
                window = x[:, :, hs:he, ws:we]
                if window.numel() == 0:
                    # A window that starts past an unpadded input: Caffe leaves -FLT_MAX (MAX) or 0 (AVE).
                    out[:, :, i, j] = -3.4028234663852886e38 if a["mode"] == "max" else 0.0
                else:
                    out[:, :, i, j] = window.amax(dim=(2, 3)) if a["mode"] == "max" else window.sum(dim=(2, 3)) / size
        return out
    if op == "global_pool":
        return x.mean(dim=(2, 3), keepdim=True) if a["mode"] == "avg" else x.amax(dim=(2, 3), keepdim=True)
    if op == "data":
        return torch.zeros(a["shapes"][0], dtype=torch.float64)
    if op == "crop":
        ref = inputs[1]
        axis = a["axis"]
        offsets = [0] * x.dim()
        for i in range(axis, x.dim()):
            offsets[i] = 0 if not a["offset"] else a["offset"][0] if len(a["offset"]) == 1 else a["offset"][i - axis]
        index = tuple(slice(offsets[i], offsets[i] + (ref.shape[i] if i >= axis else x.shape[i])) for i in range(x.dim()))
        return x[index]
    if op == "conv":
        w = weight([a["num_output"], x.shape[1] // a["groups"], *a["kernel"]])
        assert a["pad_begin"] == a["pad_end"]
        return F.conv2d(x, w, None, a["stride"], a["pad_begin"], a["dilation"], a["groups"])
    raise ValueError(f"no Caffe semantics for {op}")


def run_caffe(nodes, x, input_name):
    blobs = {input_name: x}
    for node in nodes:
        if node["op"] == "input":
            continue
        blobs[node["outputs"][0]] = caffe_layer(node, [blobs[b] for b in node["inputs"]])
    return blobs


def main():
    cases = json.load(sys.stdin)["cases"]
    out = {}
    for case in cases:
        x = torch.randn(*case["input"], dtype=torch.float64) * 4
        original = case["original"]
        want = reference(original, x)
        got = run_caffe(case["caffe"], x, original["inputs"][0])[original["outputs"][0]]
        out[case["name"]] = {"shape_ok": list(want.shape) == list(got.shape), "max_diff": float((want - got).abs().max()) if want.shape == got.shape else None}
    print(json.dumps(out))


main()
