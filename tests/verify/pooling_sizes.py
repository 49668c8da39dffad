#!/usr/bin/python3
"""Ground truth for tests/verify/pooling.test.ts, from PyTorch itself.

Reads a JSON list of cases [{"in": H, "k": K, "s": S, "p": P}, ...] on stdin. For each case it
runs torch.nn.MaxPool2d and torch.nn.AvgPool2d (kernel K, stride S, padding P, ceil_mode
False and True) on a zeros tensor of shape [1, 1, H, H] and prints, in the same order,

  {"torch": "1.13…", "results": [{"max_floor": n, "max_ceil": n, "avg_floor": n, "avg_ceil": n}, …]}

where n is the pooled size (the output's height; the width is checked to be the same) or, when
PyTorch refuses the configuration, the string "error: <message>". Exit status 3 with
{"skip": reason} when torch cannot be imported.
"""
import json
import sys

try:
    import torch
except Exception as e:  # ImportError, or a broken install that fails while importing
    print(json.dumps({"skip": f"{type(e).__name__}: {e}"}))
    sys.exit(3)


def pooled(module, size):
    try:
        with torch.no_grad():
            out = module(torch.zeros(1, 1, size, size))
    except Exception as e:  # RuntimeError: PyTorch's own checks (pad > k/2, empty output, …)
        return "error: " + str(e).strip().splitlines()[0]
    h, w = out.shape[-2], out.shape[-1]
    if h != w:
        return f"error: non-square output {list(out.shape)} for a square input"
    return int(h)


def main():
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    results = []
    for c in cases:
        size, k, s, p = c["in"], c["k"], c["s"], c["p"]
        row = {}
        for ceil in (False, True):
            tag = "ceil" if ceil else "floor"
            row["max_" + tag] = pooled(torch.nn.MaxPool2d(k, stride=s, padding=p, ceil_mode=ceil), size)
            row["avg_" + tag] = pooled(torch.nn.AvgPool2d(k, stride=s, padding=p, ceil_mode=ceil), size)
        results.append(row)
    print(json.dumps({"torch": torch.__version__, "results": results}))


if __name__ == "__main__":
    main()
