#!/usr/bin/python3
"""Ground truth for tests/verify/torchvision.test.ts, from PyTorch itself.

For each torchvision model named on the command line (default: all seven that
specs/torchvision/ mirrors) this builds the model with weights=None (no download,
no network), runs one forward pass in eval mode on zeros of shape [1, 3, 224, 224]
with a forward hook on every leaf module, and prints one JSON object:

  {"torch": "1.13…", "torchvision": "0.14…",
   "models": {NAME: {"params": int,            # sum(p.numel() for p in parameters())
                     "bn_running": int,        # numel of every BN running_mean/running_var
                     "output": [1, 1000],      # shape of the model's output
                     "modules": {DOTTED: [[shape of call 1], [shape of call 2], …]},
                     "module_params": {DOTTED: [own parameters, own BN running stats]}}}}

A module used more than once in forward (torchvision's ResNet blocks call one ReLU several
times) has one shape per call, in call order. Exit status 3 with {"skip": reason} when
torch or torchvision cannot be imported.
"""
import json
import sys

try:
    import torch
    import torchvision
    from torchvision import models
except Exception as e:  # ImportError, or a broken install that fails while importing
    print(json.dumps({"skip": f"{type(e).__name__}: {e}"}))
    sys.exit(3)

ALL = ["alexnet", "vgg16", "resnet18", "resnet50", "squeezenet1_1", "mobilenet_v2", "googlenet"]

BUILDERS = {
    "alexnet": lambda: models.alexnet(weights=None),
    "vgg16": lambda: models.vgg16(weights=None),
    "resnet18": lambda: models.resnet18(weights=None),
    "resnet50": lambda: models.resnet50(weights=None),
    "squeezenet1_1": lambda: models.squeezenet1_1(weights=None),
    "mobilenet_v2": lambda: models.mobilenet_v2(weights=None),
    # What specs/torchvision/googlenet.nnspec mirrors: no auxiliary classifiers, no input transform.
    "googlenet": lambda: models.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=False),
}


def measure(name):
    torch.manual_seed(0)
    model = BUILDERS[name]()
    model.eval()
    calls = {}
    handles = []
    for dotted, module in model.named_modules():
        if dotted == "" or any(True for _ in module.children()):
            continue  # the model itself and containers: only leaf modules

        def hook(_module, _inputs, output, dotted=dotted):
            calls.setdefault(dotted, []).append(list(output.shape))

        handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 224, 224))
    for h in handles:
        h.remove()
    bn_running = 0
    module_params = {}
    for dotted, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        running = 0
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            running = module.running_mean.numel() + module.running_var.numel()
        bn_running += running
        if own or running:
            module_params[dotted] = [own, running]
    return {
        "params": sum(p.numel() for p in model.parameters()),
        "bn_running": bn_running,
        "output": list(out.shape),
        "modules": calls,
        "module_params": module_params,
    }


def main():
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    names = sys.argv[1:] or ALL
    result = {"torch": torch.__version__, "torchvision": torchvision.__version__, "models": {}}
    for name in names:
        result["models"][name] = measure(name)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
