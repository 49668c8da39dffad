"""Loads `nnspec train`'s weights.safetensors into the module `nnspec convert --to pytorch`
emitted (load_state_dict strict) and reports its accuracy on a batch.

Usage: load_weights.py MODULE.py WEIGHTS.safetensors IMAGES.f32 LABELS.json SHAPE.json
Prints {"accuracy": a, "loaded": [keys]}. Exit status 3 with {"skip": reason} when torch
cannot be imported.
"""
import importlib.util
import json
import sys

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means: skip
    print(json.dumps({"skip": f"{type(e).__name__}: {e}"}))
    sys.exit(3)

module_path, weights, images, labels_path, shape_path = sys.argv[1:6]
spec = importlib.util.spec_from_file_location("emitted", module_path)
emitted = importlib.util.module_from_spec(spec)
spec.loader.exec_module(emitted)
model = emitted.load_weights(emitted.Model(), weights).eval()
shape = json.load(open(shape_path))
labels = torch.tensor(json.load(open(labels_path)))
with open(images, "rb") as f:
    x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape)
with torch.no_grad():
    predicted = model(x).argmax(1)
print(json.dumps({"accuracy": (predicted == labels).float().mean().item(), "loaded": sorted(model.state_dict().keys())}))
