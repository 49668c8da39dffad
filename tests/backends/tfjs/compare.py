"""Reference forward passes for tests/backends/tfjs/*.test.ts, under the system's torch.

Reads a JSON job on stdin: {"cases": [...]}; each case gives raw little-endian float32 files as
[path, shape] pairs. A "module" case imports an emitted PyTorch file, loads its weights with the
file's own load_weights (eval mode) and runs forward on the inputs. An "op" case computes one
operation straight from torch.nn.functional (or Caffe's loops), never from nnspec's code. Each
case's reference outputs are compared with the tfjs outputs given; prints {id: {"rel": [...],
"max_abs": [...]}} or {id: {"error": text}}. Exits 3 with {"skip": reason} without torch.
"""
import contextlib
import importlib.util
import json
import math
import sys
import traceback

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print(json.dumps({"skip": "import torch failed: %s" % e}))
    sys.exit(3)

torch.set_num_threads(2)


def read(pair):
    path, shape = pair
    with open(path, "rb") as f:
        data = bytearray(f.read())
    flat = torch.frombuffer(data, dtype=torch.float32) if data else torch.empty(0)
    return flat.reshape(shape)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_module(case, index):
    module = load(case["file"], "tfjs_ref_%d" % index)
    model = module.Model()
    module.load_weights(model, case["weights"])
    model.eval()
    inputs = {name: read(pair) for name, pair in case["inputs"].items()}
    args = [inputs[name] for name in module.INPUT_SHAPES]
    # A softmax output of random weights says little (it saturates or is uniform), so the
    # inputs of the module's torch.softmax calls are compared too, in call order.
    with softmax_inputs() as seen, torch.no_grad():
        out = model(*args)
    outs = list(out) if isinstance(out, tuple) else [out]
    return outs + seen[: case.get("softmax_inputs", 0)]


# ---- single operations, from their definitions ----


def caffe_pool(x, mode, k, s, pb, pe, rounding, include_pad):
    """pooling_layer.cpp's loops, with the IR's begin/end padding and rounding rules."""
    n, c, h, w = x.shape

    def size(length, k, s, b, e):
        span = length + b + e - k
        if rounding == "floor":
            return span // s + 1
        out = -(-span // s) + 1
        if (rounding == "ceil" or b > 0 or e > 0 or pb[0] > 0 or pb[1] > 0 or pe[0] > 0 or pe[1] > 0) and (out - 1) * s >= length + b:
            out -= 1
        return out

    oh, ow = size(h, k[0], s[0], pb[0], pe[0]), size(w, k[1], s[1], pb[1], pe[1])
    y = torch.empty(n, c, oh, ow, dtype=torch.float64)
    xd = x.double()
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s[0] - pb[0], j * s[1] - pb[1]
            he, we = min(hs + k[0], h + pe[0]), min(ws + k[1], w + pe[1])
            area = (he - hs) * (we - ws)
            hs0, ws0, he0, we0 = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            win = xd[:, :, hs0:he0, ws0:we0]
            if mode == "max":
                y[:, :, i, j] = win.amax(dim=(2, 3))
            else:
                divisor = area if include_pad else (he0 - hs0) * (we0 - ws0)
                y[:, :, i, j] = win.sum(dim=(2, 3)) / divisor
    return y.float()


def run_op(case):
    t = {name: read(pair) for name, pair in case["tensors"].items()}
    a = case.get("attrs", {})
    op = case["op"]
    x = t.get("x")
    if op == "pool":
        return [caffe_pool(x, a["mode"], a["kernel"], a["stride"], a["pad_begin"], a["pad_end"], a["rounding"], a["count_include_pad"])]
    if op == "conv":
        pb, pe = a["pad_begin"], a["pad_end"]
        xp = F.pad(x, [pb[1], pe[1], pb[0], pe[0]])
        return [F.conv2d(xp, t["weight"], t.get("bias"), stride=a["stride"], dilation=a["dilation"], groups=a["groups"])]
    if op == "spp":
        # spp_layer.cpp: level l pools to 2^l bins with kernel ceil(size / bins), stride kernel, pad (kernel * bins - size + 1) // 2.
        h, w = x.shape[2:]
        levels = []
        for level in range(a["pyramid_height"]):
            bins = 2 ** level
            k = [math.ceil(h / bins), math.ceil(w / bins)]
            pad = [(k[0] * bins - h + 1) // 2, (k[1] * bins - w + 1) // 2]
            levels.append(caffe_pool(x, a["mode"], k, k, pad, pad, "caffe", True).flatten(1))
        return [torch.cat(levels, 1)]
    if op == "conv1d":
        xp = F.pad(x, [a["pad_begin"][0], a["pad_end"][0]])
        return [F.conv1d(xp, t["weight"], t.get("bias"), stride=a["stride"], dilation=a["dilation"], groups=a["groups"])]
    if op == "pool1d":
        two = lambda v, fill: [fill] + list(v)  # noqa: E731
        y = caffe_pool(x.unsqueeze(2), a["mode"], two(a["kernel"], 1), two(a["stride"], 1), two(a["pad_begin"], 0), two(a["pad_end"], 0), a["rounding"], a["count_include_pad"])
        return [y.squeeze(2)]
    if op == "conv_transpose1d":
        return [F.conv_transpose1d(x, t["weight"], t.get("bias"), stride=a["stride"], padding=a["pad"], output_padding=a["output_padding"], groups=a["groups"], dilation=a["dilation"])]
    if op == "conv_transpose":
        return [F.conv_transpose2d(x, t["weight"], t.get("bias"), stride=a["stride"], padding=a["pad"], output_padding=a["output_padding"], groups=a["groups"], dilation=a["dilation"])]
    if op == "lrn":
        if a["region"] == "across_channels":
            return [F.local_response_norm(x, a["size"], alpha=a["alpha"], beta=a["beta"], k=a["k"])]
        p = (a["size"] - 1) // 2
        sq = F.avg_pool2d(F.pad(x * x, [p, p, p, p]), a["size"], 1)
        return [x * (1 + a["alpha"] * sq).pow(-a["beta"])]
    if op == "linear_after_conv":
        # The IR flattens (C, H, W) row-major: torch's flatten of an NCHW tensor.
        y = F.conv2d(x, t["cw"], t["cb"])
        return [F.linear(torch.flatten(y, 1), t["weight"], t["bias"])]
    if op == "batchnorm_train":
        rm, rv = t["running_mean"].clone(), t["running_var"].clone()
        y = F.batch_norm(x, rm, rv, t["weight"], t["bias"], True, a["momentum"], a["eps"])
        return [y, rm, rv]
    if op == "softmax_loss":
        labels = t["labels"].long()
        flat = x.movedim(1, -1).reshape(-1, x.shape[1])
        lab = labels.reshape(-1)
        total = F.cross_entropy(flat, lab, ignore_index=a["ignore_label"], reduction="sum")
        valid = (lab != a["ignore_label"]).sum().item()
        return [total / max(1, valid)]
    if op == "activations":
        return [
            F.gelu(x), F.gelu(x, approximate="tanh"), F.selu(x), F.elu(x, 0.7), F.leaky_relu(x, 0.1),
            F.relu6(x), x * torch.sigmoid(2.0 * x), F.softplus(x), F.prelu(x, t["slope"]),
            x.reshape(x.shape[0], x.shape[1] // 2, 2, *x.shape[2:]).amax(2),
            torch.softmax(x, 1),
        ]
    if op == "tensor_ops":
        y, r = t["y"], t["r"]
        top = torch.topk(x.reshape(x.shape[0], -1), 3, dim=1)
        return [
            x[:, :, 1:4, 2:4],
            x[:, :2], x[:, 2:5], x[:, 5:],
            torch.cat([x[:, 5:], x[:, :2], y], 1),
            2 * x - 0.5 * y, x * y, torch.maximum(x, y),
            x.repeat(1, 2, 1, 1),
            0.5 * (x * x).sum((2, 3)), x.mean((1, 2, 3)),
            torch.topk(x, 2, dim=1).indices.float(),
            torch.stack([top.indices.float(), top.values], 1).reshape(x.shape[0], 2, 3, 1),
            x.flatten(1, 2), x.reshape(x.shape[0], -1, 10),
            x * t["sw"][None, :, :, None] + t["sb"][None, :, :, None],
            x + t["bb"][None, None],
            (1 + 0.5 * x) ** 2, 2 ** (0.1 + 0.5 * x), torch.log(x + 2) / math.log(10),
            (x > 0.2).float(), x.abs(),
            torch.softmax(x, 2),
            (x - x.mean((2, 3), keepdim=True)) / (((x - x.mean((2, 3), keepdim=True)) ** 2).mean((2, 3), keepdim=True).sqrt() + 1e-9),
            x.mean((2, 3), keepdim=True), F.adaptive_max_pool2d(x, (2, 3)), F.adaptive_avg_pool2d(x, (3, 3)),
            F.unfold(x, 2).reshape(x.shape[0], x.shape[1] * 4, 4, 3),
        ]
    if op == "losses":
        p, q, labels = x, t["y"], t["labels"].long()
        n = p.shape[0]
        target = torch.sigmoid(q)
        flat = p.reshape(n, -1)
        own = flat.gather(1, labels[:, None])
        return [
            ((p - q) ** 2).sum() / (2 * n),
            F.binary_cross_entropy_with_logits(p, target, reduction="sum") / n,
            ((flat > own).sum(1) < 3).float().mean(),
            torch.clamp(1 + flat * (1 - 2 * F.one_hot(labels, flat.shape[1])), min=0).sum() / n,
        ]
    raise ValueError("unknown op case %s" % op)


def compare(ours, theirs):
    rel, max_abs = [], []
    for a, b in zip(ours, theirs):
        if list(a.shape) != list(b.shape):
            raise ValueError("output %d: tfjs shape %s, torch shape %s" % (len(rel) + 1, list(a.shape), list(b.shape)))
        b = b.detach().float()
        diff = (a - b).abs().max().item() if a.numel() else 0.0
        scale = b.abs().max().item() if b.numel() else 0.0
        max_abs.append(diff)
        rel.append(diff / scale if scale > 0 else diff)
    return rel, max_abs


def caffe_loss(loss, scores, labels):
    """A Caffe loss from its definition (softmax_loss_layer.cpp): the class axis is `axis`, every
    position of the other axes is one example, the sum is divided by the normalisation's count."""
    if loss["kind"] != "softmax_cross_entropy":
        raise ValueError("no reference for the %s loss" % loss["kind"])
    axis = loss["axis"] % scores.dim()
    flat = scores.movedim(axis, -1).reshape(-1, scores.shape[axis])
    lab = labels.reshape(-1).long()
    ignore = loss["ignore_label"]
    total = F.cross_entropy(flat, lab, ignore_index=ignore if ignore is not None else -100, reduction="sum")
    valid = (lab != ignore).sum().item() if ignore is not None else lab.numel()
    outer = math.prod(scores.shape[:axis])
    count = {"full": lab.numel(), "valid": valid, "batch_size": outer, "none": 1}[loss["normalization"]]
    return total / max(1, count)


ZERO_GRADIENT = 1e-3


def relative_l2(a, b, floor=0.0):
    """‖a − b‖₂ / max(‖b‖₂, floor) (‖a − b‖₂ where both are zero), in float64."""
    if list(a.shape) != list(b.shape):
        raise ValueError("tfjs shape %s, torch shape %s" % (list(a.shape), list(b.shape)))
    a, b = a.double(), b.double()
    diff = (a - b).norm().item()
    scale = max(b.norm().item(), floor)
    return diff / scale if scale > 0 else diff


@contextlib.contextmanager
def softmax_inputs():
    """Records the input of every torch.softmax call made inside, in call order."""
    seen = []
    softmax = torch.softmax

    def recording(x, *rest, **kw):
        seen.append(x)
        return softmax(x, *rest, **kw)

    torch.softmax = recording
    try:
        yield seen
    finally:
        torch.softmax = softmax


@contextlib.contextmanager
def decisions(route=None, record=None):
    """F.max_pool2d, F.relu and F.hardtanh (ReLU6, Hardtanh), for measuring float32 gradients
    against float64 ones. Each makes a choice by comparing values: which position wins a
    max-pool window, whether a ReLU or a clip passes its input. Where the values compared are closer than float32's rounding (googlenet
    at 128×128: two values of a 2×2 window 2.9e-6 apart after 1.7e-5 of rounding; specs/googlenet
    at 224: a ReLU input of 4.4e-7), rounding makes the choice, and the gradient taking the other
    way moves every parameter upstream (2.4e-2, 1.5e-3). With `route` ({"max_pool": [...],
    "relu": [...], "clip": [...]}: a float32 run's values at each call's input, in call order) float64 makes
    the choices that run made (the first maximum in row-major order, as both frameworks break
    exact ties; a ReLU passes where the value is > 0, a clip where min ≤ value ≤ max, as
    tfjs's clipByValue does), so that it measures only what rounding
    does to the values; with `record` (the same shape, lists to fill) the inputs are kept."""
    if route is None and record is None:
        yield
        return
    originals = {"max_pool": F.max_pool2d, "relu": F.relu, "clip": F.hardtanh}
    calls = {"max_pool": 0, "relu": 0, "clip": 0}

    def given(kind, x):
        i = calls[kind]
        calls[kind] += 1
        if i >= len(route[kind]):
            raise ValueError("%s call %d: no float32 input to route it by" % (kind, i + 1))
        t = route[kind][i].to(x.dtype)
        if list(t.shape) != list(x.shape) and kind == "max_pool" and t.dim() == 4:
            # WindowPool pads with -inf (and may crop the end) before pooling: pad these the same way.
            finite = torch.isfinite(x[0, 0])
            begin = [int(finite.any(1).nonzero()[0]), int(finite.any(0).nonzero()[0])]
            rows, cols = min(t.shape[2], x.shape[2] - begin[0]), min(t.shape[3], x.shape[3] - begin[1])
            padded = torch.full_like(x, -math.inf)
            padded[:, :, begin[0] : begin[0] + rows, begin[1] : begin[1] + cols] = t[:, :, :rows, :cols]
            t = padded
        if list(t.shape) != list(x.shape):
            raise ValueError("%s call %d: float32 input %s, here %s" % (kind, i + 1, list(t.shape), list(x.shape)))
        return t

    def max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
        if record is not None or return_indices:
            if record is not None:
                record["max_pool"].append(x.detach().clone())
            return originals["max_pool"](x, kernel_size, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=return_indices)
        _, where = originals["max_pool"](given("max_pool", x), kernel_size, stride, padding, dilation, ceil_mode=ceil_mode, return_indices=True)
        return x.flatten(2).gather(2, where.flatten(2)).view(where.shape)

    def relu(x, inplace=False):
        if record is not None:
            record["relu"].append(x.detach().clone())
            return originals["relu"](x, inplace=inplace)
        return x * (given("relu", x) > 0).to(x.dtype)

    def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
        if record is not None:
            record["clip"].append(x.detach().clone())
            return originals["clip"](x, min_val, max_val, inplace=inplace)
        t = given("clip", x)
        passes = ((t >= min_val) & (t <= max_val)).to(x.dtype)
        return x * passes + (t < min_val).to(x.dtype) * min_val + (t > max_val).to(x.dtype) * max_val

    F.max_pool2d, F.relu, F.hardtanh = max_pool, relu, hardtanh
    try:
        yield
    finally:
        F.max_pool2d, F.relu, F.hardtanh = originals["max_pool"], originals["relu"], originals["clip"]
    if route is not None and calls != {k: len(v) for k, v in route.items()}:
        raise ValueError("the module made %s calls, the float32 run %s" % (calls, {k: len(v) for k, v in route.items()}))


def objective_and_gradients(case, module, double, route=None, record=None):
    """The objective and its gradients in the emitted module, in train mode with dropout off
    (max pools and ReLUs routed or recorded as `decisions` says)."""
    model = module.Model()
    module.load_weights(model, case["weights"])
    if double:
        model.double()
    model.train()
    for m in model.modules():
        if "Dropout" in type(m).__name__:
            m.eval()
    cast = (lambda t: t.double()) if double else (lambda t: t)  # noqa: E731
    inputs = {name: cast(read(pair)) for name, pair in case["inputs"].items()}
    with softmax_inputs() as seen, decisions(route, record):
        out = model(*[inputs[name] for name in module.INPUT_SHAPES])
    outs = list(out) if isinstance(out, tuple) else [out]
    if case.get("losses"):
        labels = {name: read(pair) for name, pair in case["labels"].items()}
        loss = sum(term["weight"] * caffe_loss(term, outs[term["output"]], labels[term["labels"]]) for term in case["losses"])
    else:
        projected = outs + seen[: len(case["output_weights"]) - len(outs)]
        loss = sum((o * cast(read(w))).sum() for o, w in zip(projected, case["output_weights"]))
    loss.backward()
    grads = {k: (p.grad if p.grad is not None else torch.zeros_like(p)).detach() for k, p in model.named_parameters() if p.requires_grad}
    return loss.item(), grads


def run_gradients(case, index):
    """Gradients, in training mode (batch statistics, dropout off), of the objective: the net's
    weighted losses when it has any, otherwise its outputs and the inputs of its final softmax
    layers each summed against a fixed random tensor. The reference is the emitted module in
    float64 (same float32 weights and inputs); the module in float32 is measured against it
    too, to tell the framework's own rounding from a disagreement."""
    module = load(case["file"], "tfjs_grad_%d" % index)
    # Each float32 run is measured against float64 making that run's max-pool and ReLU choices.
    tfjs_choices = {kind: [read(pair) for pair in case["decision_inputs"][kind]] for kind in ("max_pool", "relu", "clip")}
    exact, reference = objective_and_gradients(case, module, True, route=tfjs_choices)
    torch_choices = {"max_pool": [], "relu": [], "clip": []}
    single, torch32 = objective_and_gradients(case, module, False, record=torch_choices)
    exact32, reference32 = objective_and_gradients(case, module, True, route=torch_choices)
    ours = module._read_safetensors(case["grads"])
    missing = sorted(k for k in reference if k not in ours)
    if missing:
        raise ValueError("tfjs gave no gradient for %s" % ", ".join(missing))
    keys = sorted(ours)
    # A gradient that is zero but for rounding (a bias a later BatchNorm's mean subtraction
    # cancels) has no relative error of its own: it is measured against the net's largest.
    largest = max(reference[k].double().norm().item() for k in keys) if keys else 0.0
    floor = ZERO_GRADIENT * largest
    rel = [relative_l2(ours[k], reference[k], floor) for k in keys]
    max_abs = [(ours[k] - reference[k]).abs().max().item() if ours[k].numel() else 0.0 for k in keys]
    torch_rel = [relative_l2(torch32[k], reference32[k], floor) for k in keys]
    objective = abs(case["objective"] - exact)
    rel.append(objective / abs(exact) if exact != 0 else objective)
    max_abs.append(objective)
    torch_rel.append(abs(single - exact32) / abs(exact32) if exact32 != 0 else abs(single - exact32))
    keys.append("(objective)")
    return {"rel": rel, "max_abs": max_abs, "torch_rel": torch_rel, "keys": keys}


def main():
    job = json.load(sys.stdin)
    results = {}
    for index, case in enumerate(job["cases"]):
        try:
            if case["kind"] == "gradients":
                results[case["id"]] = run_gradients(case, index)
                continue
            reference = run_module(case, index) if case["kind"] == "module" else run_op(case)
            ours = [read(pair) for pair in case["outputs"]]
            if len(ours) != len(reference):
                raise ValueError("tfjs gave %d outputs, torch %d" % (len(ours), len(reference)))
            shapes = [list(r.shape) for r in reference]
            rel, max_abs = compare(ours, reference)
            results[case["id"]] = {"rel": rel, "max_abs": max_abs, "shapes": shapes}
        except Exception:  # noqa: BLE001 - reported per case
            results[case["id"]] = {"error": traceback.format_exc()}
    print(json.dumps(results))


main()
