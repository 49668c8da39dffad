"""Applies torchvision 0.14's functional image ops to the cases on stdin, for tests/data/torchvision.test.ts.

stdin: {"cases": [{"op": name, "value": number, "dtype": "float"|"uint8", "shape": [c, h, w], "data": [...]}]}
Float images arrive in 0..255 and are scaled to torchvision's 0..1 and back; uint8 images are passed as uint8.
stdout: {"results": [[...], ...]} (flattened CHW, 0..255). Exit 3 with {"skip": reason} without torch.
"""
import json
import math
import sys

try:
    import torch
    import torchvision.transforms.functional as F
    from torchvision.transforms import InterpolationMode
except Exception as e:  # noqa: BLE001
    print(json.dumps({"skip": str(e)}))
    sys.exit(3)

NEAREST = InterpolationMode.NEAREST


def apply(op, v, img):
    if op == "ShearX":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(v)), 0.0], interpolation=NEAREST, fill=None, center=[0, 0])
    if op == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(v))], interpolation=NEAREST, fill=None, center=[0, 0])
    if op == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(v), 0], scale=1.0, interpolation=NEAREST, shear=[0.0, 0.0], fill=None)
    if op == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(v)], scale=1.0, interpolation=NEAREST, shear=[0.0, 0.0], fill=None)
    if op == "Rotate":
        return F.rotate(img, v, interpolation=NEAREST, fill=None)
    if op == "Brightness":
        return F.adjust_brightness(img, 1.0 + v)
    if op == "Color":
        return F.adjust_saturation(img, 1.0 + v)
    if op == "Contrast":
        return F.adjust_contrast(img, 1.0 + v)
    if op == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + v)
    if op == "Posterize":
        return F.posterize(img, int(v))
    if op == "Solarize":
        return F.solarize(img, v)
    if op == "AutoContrast":
        return F.autocontrast(img)
    if op == "Equalize":
        return F.equalize(img)
    if op == "Invert":
        return F.invert(img)
    if op == "Hue":
        return F.adjust_hue(img, v)
    if op == "Resize":
        h, w = int(v) // 1000, int(v) % 1000
        return torch.nn.functional.interpolate(img.unsqueeze(0), size=(h, w), mode="bilinear", align_corners=False).squeeze(0)
    raise ValueError(op)


def main():
    req = json.load(sys.stdin)
    results = []
    for case in req["cases"]:
        c, h, w = case["shape"]
        t = torch.tensor(case["data"], dtype=torch.float32).reshape(c, h, w)
        if case["dtype"] == "uint8":
            out = apply(case["op"], case["value"], t.to(torch.uint8)).to(torch.float32)
        else:
            v = case["value"] / 255.0 if case["op"] == "Solarize" else case["value"]
            out = apply(case["op"], v, t / 255.0) * 255.0
        results.append([float(x) for x in out.flatten()])
    print(json.dumps({"results": results}))


main()
