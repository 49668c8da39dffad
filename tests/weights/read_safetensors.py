"""Reads a safetensors file the way the spec describes it, with Python's own json/struct and
torch.frombuffer (and with the `safetensors` package too when it is installed), and prints
what it found as JSON: header facts and every tensor's shape and float32 bit patterns.

Usage: read_safetensors.py FILE. Exits 3 with {"skip": reason} when torch cannot be imported.
"""
import json
import struct
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print(json.dumps({"skip": f"import torch failed: {e}"}))
    sys.exit(3)


def bits(t):
    flat = t.contiguous().reshape(-1).view(torch.int32).tolist()
    return [b & 0xFFFFFFFF for b in flat]


def main():
    data = open(sys.argv[1], "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    raw_header = data[8 : 8 + n]
    header = json.loads(raw_header.decode("utf-8"), object_pairs_hook=lambda pairs: pairs)
    body = data[8 + n :]
    out = {
        "header_length": n,
        "header_text": raw_header.decode("utf-8"),
        "keys": [k for k, _ in header],
        "metadata": None,
        "tensors": {},
        "safetensors_package": False,
    }
    for key, info in header:
        info = dict(info)
        if key == "__metadata__":
            out["metadata"] = info
            continue
        assert info["dtype"] == "F32", info
        begin, end = info["data_offsets"]
        shape = info["shape"]
        if end > begin:
            t = torch.frombuffer(bytearray(body[begin:end]), dtype=torch.float32).reshape(shape)
        else:
            t = torch.empty(shape, dtype=torch.float32)
        out["tensors"][key] = {"shape": list(t.shape), "bits": bits(t), "begin": begin, "end": end}
    try:
        from safetensors.torch import load
    except ImportError:
        pass
    else:
        loaded = load(data)
        out["safetensors_package"] = True
        out["package_tensors"] = {k: {"shape": list(v.shape), "bits": bits(v)} for k, v in loaded.items()}
    print(json.dumps(out))


main()
