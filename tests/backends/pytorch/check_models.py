"""Imports emitted PyTorch files and measures them, for tests/backends/pytorch/*.test.ts.

Reads a JSON job on stdin: {"models": [{"id", "file", "torchvision"?: name}], "cases": [{"id",
"file", "check", ...}]} and prints one JSON object: for each model its output shapes and parameter
count (or the error), and for each case the largest difference from a reference written here
with plain torch operations (never with the emitted code). Exits 3 with {"skip": reason} when
torch cannot be imported.
"""
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


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def param_count(model):
    seen, total = set(), 0
    for key, t in model.state_dict(keep_vars=True).items():
        if key.endswith("num_batches_tracked") or t.data_ptr() in seen:
            continue
        seen.add(t.data_ptr())
        total += t.numel()
    return total


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


def measure(job, index):
    module = load(job["file"], "nnspec_model_%d" % index)
    torch.manual_seed(0)
    model = module.Model().eval()
    result = {"params": param_count(model), "keys": sorted(k for k in model.state_dict() if not k.endswith("num_batches_tracked"))}
    shapes = module.INPUT_SHAPES
    if not job.get("forward", True) and not job.get("torchvision"):
        return result
    if any(s is None or any(d is None for d in s) for s in shapes.values()):
        result["outputs"] = None
        return result
    inputs = [torch.rand(*s) for s in shapes.values()]
    with torch.no_grad():
        outs = as_tuple(model(*inputs))
    result["outputs"] = [list(o.shape) for o in outs]
    name = job.get("torchvision")
    if name:
        try:
            import torchvision
        except ImportError as e:
            result["torchvision_skip"] = "import torchvision failed: %s" % e
            return result

        kwargs = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
        reference = getattr(torchvision.models, name)(**kwargs).eval()
        model.load_state_dict(reference.state_dict(), strict=True)
        x = torch.rand(1, *list(shapes.values())[0][1:])
        with torch.no_grad():
            ours, theirs = model(x), reference(x)
        result["torchvision_diff"] = (ours - theirs).abs().max().item()
    return result


# ---- references for the semantic cases, straight from Caffe's and PyTorch's definitions ----


def pooled_size(n, k, s, pb, pe, rounding):
    """The IR's rule (src/ir/window.ts): floor; ceil as PyTorch; caffe as pooling_layer.cpp."""
    span = n + pb + pe - k
    if rounding == "floor":
        return span // s + 1
    out = -(-span // s) + 1
    if (rounding == "ceil" or pb > 0 or pe > 0) and (out - 1) * s >= n + pb:
        out -= 1
    return out


def caffe_pool(x, mode, k, s, pb, pe, rounding, count_include_pad):
    """pooling_layer.cpp's loops on N x C x H x W (with separate begin/end padding): max over the
    window clipped to the input; average of the clipped window divided by the window clipped to
    the padded input (count_include_pad) or by the clipped window's own size."""
    n, c, h, w = x.shape
    oh, ow = pooled_size(h, k[0], s[0], pb[0], pe[0], rounding), pooled_size(w, k[1], s[1], pb[1], pe[1], rounding)
    out = torch.empty(n, c, oh, ow, dtype=torch.float64)
    x = x.double()
    for i in range(oh):
        for j in range(ow):
            hs, ws = i * s[0] - pb[0], j * s[1] - pb[1]
            he, we = min(hs + k[0], h + pe[0]), min(ws + k[1], w + pe[1])
            size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            window = x[:, :, hs:he, ws:we]
            if mode == "max":
                out[:, :, i, j] = window.amax((2, 3))
            else:
                out[:, :, i, j] = window.sum((2, 3)) / (size if count_include_pad else (he - hs) * (we - ws))
    return out


def caffe_lrn_across(x, size, alpha, beta, k):
    sq = x.double() ** 2
    c = x.shape[1]
    pre = (size - 1) // 2
    scale = torch.full_like(sq, float(k))
    for ch in range(c):
        lo, hi = max(0, ch - pre), min(c, ch - pre + size)
        scale[:, ch] = k + alpha / size * sq[:, lo:hi].sum(1)
    return x.double() * scale ** -beta


def caffe_lrn_within(x, size, alpha, beta):
    sq = x.double() ** 2
    n, c, h, w = x.shape
    pre = (size - 1) // 2
    out = torch.empty_like(sq)
    for i in range(h):
        for j in range(w):
            win = sq[:, :, max(0, i - pre):min(h, i - pre + size), max(0, j - pre):min(w, j - pre + size)].sum((2, 3))
            out[:, :, i, j] = x.double()[:, :, i, j] * (1 + alpha / (size * size) * win) ** -beta
    return out


def run_case(case, index):
    module = load(case["file"], "nnspec_case_%d" % index)
    torch.manual_seed(index)
    model = module.Model()
    shape = list(module.INPUT_SHAPES.values())[0]
    x = torch.randn(*shape)
    check = case["check"]
    if check == "expr":
        # The reference is an expression in x (the input) and sd (the module's state_dict).
        if case.get("positive"):
            x = x.abs() + 0.1
        x = x * case.get("scale", 1)
        model.eval()
        with torch.no_grad():
            ys = as_tuple(model(x))
            refs = as_tuple(eval(case["ref"], {"torch": torch, "F": F, "math": math, "x": x, "sd": model.state_dict()}))
        return {
            "shapes": [list(y.shape) for y in ys],
            "ref_shapes": [list(r.shape) for r in refs],
            "diffs": [(y.double() - r.double()).abs().max().item() if y.shape == r.shape and y.numel() else 0.0 for y, r in zip(ys, refs)],
        }
    if check == "pool":
        model.eval()
        with torch.no_grad():
            y = model(x)
        ref = caffe_pool(x, case["mode"], case["kernel"], case["stride"], case["pad_begin"], case["pad_end"], case["rounding"], case["count_include_pad"])
        if list(y.shape) != list(ref.shape):
            return {"diff": None, "shape": list(y.shape), "ref_shape": list(ref.shape)}
        return {"diff": (y.double() - ref).abs().max().item(), "shape": list(y.shape), "ref_shape": list(ref.shape)}
    if check == "lrn_across":
        with torch.no_grad():
            y = model(x)
        ref = caffe_lrn_across(x, case["size"], case["alpha"], case["beta"], case["k"])
        return {"diff": (y.double() - ref).abs().max().item()}
    if check == "lrn_within":
        with torch.no_grad():
            y = model(x)
        ref = caffe_lrn_within(x, case["size"], case["alpha"], case["beta"])
        return {"diff": (y.double() - ref).abs().max().item()}
    if check == "batchnorm":
        # One training step, then inference: the running statistics follow the momentum, and
        # inference normalises with them; weight/bias are those of the (fused) affine part.
        eps, momentum = case["eps"], case["momentum"]
        state = {k: v.clone() for k, v in model.state_dict().items()}
        bn_keys = sorted(k for k in state if k.endswith("running_mean"))
        prefix = bn_keys[0][: -len("running_mean")]
        gamma, beta = torch.ones(shape[1]), torch.zeros(shape[1])
        if getattr_path(model, prefix + "weight") is not None:
            gamma, beta = torch.randn(shape[1]), torch.randn(shape[1])
            with torch.no_grad():
                getattr_path(model, prefix + "weight").copy_(gamma)
                getattr_path(model, prefix + "bias").copy_(beta)
        model.train()
        with torch.no_grad():
            y_train = model(x)
        mean = x.double().mean((0, 2, 3))
        var_b = x.double().var((0, 2, 3), unbiased=False)
        var_u = x.double().var((0, 2, 3), unbiased=True)
        ref_train = (x.double() - mean[None, :, None, None]) / (var_b[None, :, None, None] + eps).sqrt() * gamma.double()[None, :, None, None] + beta.double()[None, :, None, None]
        run_mean = momentum * mean
        run_var = (1 - momentum) * 1.0 + momentum * var_u
        if case.get("frozen"):
            # Caffe use_global_stats: the stored statistics, also while training, never updated.
            run_mean, run_var = state[prefix + "running_mean"].double(), state[prefix + "running_var"].double()
            ref_train = (x.double() - run_mean[None, :, None, None]) / (run_var[None, :, None, None] + eps).sqrt() * gamma.double()[None, :, None, None] + beta.double()[None, :, None, None]
        got_mean = getattr_path(model, prefix + "running_mean").double()
        got_var = getattr_path(model, prefix + "running_var").double()
        model.eval()
        x2 = torch.randn(*shape)
        with torch.no_grad():
            y_eval = model(x2)
        ref_eval = (x2.double() - got_mean[None, :, None, None]) / (got_var[None, :, None, None] + eps).sqrt() * gamma.double()[None, :, None, None] + beta.double()[None, :, None, None]
        return {
            "train_diff": (y_train.double() - ref_train).abs().max().item(),
            "mean_diff": (got_mean - run_mean).abs().max().item(),
            "var_diff": (got_var - run_var).abs().max().item(),
            "eval_diff": (y_eval.double() - ref_eval).abs().max().item(),
            "keys": sorted(state),
        }
    if check == "init":
        stats = {}
        for key, t in model.state_dict().items():
            if key.endswith("num_batches_tracked"):
                continue
            t = t.double()
            stats[key] = {"mean": t.mean().item(), "std": t.std().item() if t.numel() > 1 else 0.0, "min": t.min().item(), "max": t.max().item(), "zeros": (t == 0).double().mean().item(), "shape": list(t.shape)}
        return {"stats": stats}
    if check == "forward":
        with torch.no_grad():
            y = model.eval()(x)
        return {"shapes": [list(o.shape) for o in as_tuple(y)], "values": [o.double().flatten()[:64].tolist() for o in as_tuple(y)], "input": x.flatten()[:64].tolist()}
    if check == "param_groups":
        names = {id(p): n for n, p in model.named_parameters()}
        groups = model.param_groups(0.1, 0.001)
        return {"groups": [{"lr": g["lr"], "weight_decay": g["weight_decay"], "params": sorted(names[id(p)] for p in g["params"])} for g in groups]}
    if check == "state_dict":
        # Loads the file the test wrote (a raw float32 state_dict) strictly through load_weights.
        module.load_weights(model, case["weights"])
        return {"loaded": sorted(model.state_dict()), "values": {k: v.flatten()[:8].tolist() for k, v in model.state_dict().items()}}
    raise ValueError("unknown check %r" % check)


def getattr_path(obj, dotted):
    for part in dotted.split("."):
        obj = obj[int(part)] if part.isdigit() and isinstance(obj, torch.nn.Sequential) else obj[part] if isinstance(obj, torch.nn.ModuleDict) else getattr(obj, part)
    return obj


def main():
    job = json.load(sys.stdin)
    out = {"models": {}, "cases": {}}
    for i, m in enumerate(job.get("models", [])):
        try:
            out["models"][m["id"]] = measure(m, i)
        except Exception:  # noqa: BLE001 - reported to the test, which fails with it
            out["models"][m["id"]] = {"error": traceback.format_exc()[-3000:]}
    for i, c in enumerate(job.get("cases", [])):
        try:
            out["cases"][c["id"]] = run_case(c, i)
        except Exception:  # noqa: BLE001
            out["cases"][c["id"]] = {"error": traceback.format_exc()[-3000:]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
