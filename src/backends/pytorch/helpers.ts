/**
 * Python definitions the emitted file includes only when a layer needs them: Caffe behaviours
 * PyTorch has no module for, written with plain torch operations so a reader can check them.
 */

export type HelperName =
  | 'pooled_size'
  | 'WindowPool'
  | 'FrozenBatchNorm'
  | 'BatchStatsBatchNorm'
  | 'LRNWithinChannel'
  | 'MVN'
  | 'Scale'
  | 'Bias'
  | 'UnscaledDropout'
  | 'Embed'
  | 'LearnedBlob'
  | 'bilinear_'
  | 'positive_unitball_'
  | 'sparse_normal_';

/** Helpers a helper uses. */
export const HELPER_DEPENDENCIES: Partial<Record<HelperName, HelperName[]>> = {
  WindowPool: ['pooled_size'],
};

export const HELPERS: Record<HelperName, string> = {
  pooled_size: `
def pooled_size(size, kernel, stride, pad_begin, pad_end, rounding):
    """Output size of pooling one axis: 'floor'; 'ceil' (PyTorch ceil_mode: a last window starting
    at or past size + pad_begin is dropped); 'caffe' (rounds up, drops that window only when padded)."""
    span = size + pad_begin + pad_end - kernel
    if rounding == "floor":
        return span // stride + 1
    out = -(-span // stride) + 1
    padded = pad_begin > 0 or pad_end > 0
    if (rounding == "ceil" or padded) and (out - 1) * stride >= size + pad_begin:
        out -= 1
    return out
`,
  WindowPool: `
class WindowPool(nn.Module):
    """Max or average pooling with explicit padding, for windows PyTorch's own padding cannot
    express (asymmetric padding, padding over half the kernel, Caffe's rounding rule). Max pooling
    pads with -inf, so padding never wins; average pooling divides by the part of the window inside
    the padded input (count_include_pad, as Caffe does) or inside the input alone."""

    def __init__(self, mode, kernel_size, stride, pad_begin, pad_end, rounding, count_include_pad=True):
        super().__init__()
        self.mode = mode
        self.kernel_size = tuple(kernel_size)
        self.stride = tuple(stride)
        self.pad_begin = tuple(pad_begin)
        self.pad_end = tuple(pad_end)
        self.rounding = rounding
        self.count_include_pad = count_include_pad

    def _pads(self, sizes, end_offset):
        # F.pad lists the last axis first; a negative end crops what no window reaches.
        pads = []
        for n, k, s, b, e in reversed(list(zip(sizes, self.kernel_size, self.stride, self.pad_begin, self.pad_end))):
            out = pooled_size(n, k, s, b, e, self.rounding)
            pads += [b if end_offset == 0 else 0, (out - 1) * s + k - b - n - end_offset]
        return pads

    def forward(self, x):
        dims = len(self.kernel_size)
        sizes = list(x.shape[-dims:])
        pads = self._pads(sizes, 0)
        if self.mode == "max":
            pool = getattr(F, "max_pool%dd" % dims)
            return pool(F.pad(x, pads, value=-math.inf), self.kernel_size, self.stride)
        pool = getattr(F, "avg_pool%dd" % dims)
        area = math.prod(self.kernel_size)
        sums = pool(F.pad(x, pads), self.kernel_size, self.stride) * area
        if self.count_include_pad:
            padded = [n + b + e for n, b, e in zip(sizes, self.pad_begin, self.pad_end)]
            ones = x.new_ones([1, 1] + padded)
            count_pads = []
            for n, k, s, b, e in reversed(list(zip(sizes, self.kernel_size, self.stride, self.pad_begin, self.pad_end))):
                out = pooled_size(n, k, s, b, e, self.rounding)
                count_pads += [0, (out - 1) * s + k - b - n - e]
        else:
            ones = x.new_ones([1, 1] + sizes)
            count_pads = pads
        counts = pool(F.pad(ones, count_pads), self.kernel_size, self.stride) * area
        return sums / counts
`,
  FrozenBatchNorm: `
class FrozenBatchNorm(nn.BatchNorm2d):
    """Batch normalisation that always uses the stored statistics, also while training
    (Caffe use_global_stats: true); any number of axes, channels on axis 1."""

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
`,
  BatchStatsBatchNorm: `
class BatchStatsBatchNorm(nn.BatchNorm2d):
    """Batch normalisation that always uses the batch's statistics, also in eval mode, and keeps
    updating the running ones (Caffe use_global_stats: false in the test phase)."""

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, True, self.momentum, self.eps)
`,
  LRNWithinChannel: `
class LRNWithinChannel(nn.Module):
    """Caffe LRN with norm_region WITHIN_CHANNEL: x / (1 + alpha / size^2 * sum of x^2 over a
    size x size window)^beta, the window zero-padded by (size - 1) / 2 (Caffe ignores k here)."""

    def __init__(self, size, alpha, beta):
        super().__init__()
        self.size, self.alpha, self.beta = size, alpha, beta

    def forward(self, x):
        dims = x.dim() - 2
        pool = getattr(F, "avg_pool%dd" % dims)
        mean = pool(x * x, self.size, 1, (self.size - 1) // 2, count_include_pad=True)
        return x * (1 + self.alpha * mean).pow(-self.beta)
`,
  MVN: `
class MVN(nn.Module):
    """Caffe MVN: subtracts the mean of each sample (of each channel, unless across_channels) and
    optionally divides by the standard deviation plus eps."""

    def __init__(self, normalize_variance=True, across_channels=False, eps=1e-9):
        super().__init__()
        self.normalize_variance, self.across_channels, self.eps = normalize_variance, across_channels, eps

    def forward(self, x):
        dims = tuple(range(1 if self.across_channels else 2, x.dim()))
        x = x - x.mean(dims, keepdim=True)
        if self.normalize_variance:
            x = x / ((x * x).mean(dims, keepdim=True).sqrt() + self.eps)
        return x
`,
  Scale: `
class Scale(nn.Module):
    """Caffe Scale: multiplies by a learned blob (or by the second input) laid along the axes from
    \`axis\` on, then adds an optional learned bias of the same shape."""

    def __init__(self, shape, trailing_axes, weight=True, bias=False):
        super().__init__()
        self.trailing_axes = trailing_axes
        self.weight = nn.Parameter(torch.ones(shape)) if weight else None
        self.bias = nn.Parameter(torch.zeros(shape)) if bias else None

    def _lay(self, t):
        return t.reshape(tuple(t.shape) + (1,) * self.trailing_axes)

    def forward(self, x, scale=None):
        x = x * self._lay(self.weight if scale is None else scale)
        return x if self.bias is None else x + self._lay(self.bias)
`,
  Bias: `
class Bias(nn.Module):
    """Caffe Bias: adds a learned blob (or the second input) laid along the axes from \`axis\` on."""

    def __init__(self, shape, trailing_axes, learned=True):
        super().__init__()
        self.trailing_axes = trailing_axes
        self.bias = nn.Parameter(torch.zeros(shape)) if learned else None

    def forward(self, x, bias=None):
        b = self.bias if bias is None else bias
        return x + b.reshape(tuple(b.shape) + (1,) * self.trailing_axes)
`,
  UnscaledDropout: `
class UnscaledDropout(nn.Module):
    """Caffe dropout with scale_train: false: while training, zeroes values with probability p and
    leaves the rest unscaled; in inference multiplies by 1 - p instead."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return F.dropout(x, self.p, True) * (1 - self.p)
        return x * (1 - self.p)
`,
  Embed: `
class Embed(nn.Module):
    """Caffe Embed: looks up rows of a [input_dim, num_output] table by the (float) indices."""

    def __init__(self, input_dim, num_output, bias=True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(input_dim, num_output))
        self.bias = nn.Parameter(torch.zeros(num_output)) if bias else None
        nn.init.normal_(self.weight)

    def forward(self, x):
        y = F.embedding(x.long(), self.weight)
        return y if self.bias is None else y + self.bias
`,
  LearnedBlob: `
class LearnedBlob(nn.Module):
    """Caffe Parameter: a learned blob the network reads as an input."""

    def __init__(self, shape):
        super().__init__()
        self.value = nn.Parameter(torch.zeros(shape))

    def forward(self):
        return self.value
`,
  bilinear_: `
@torch.no_grad()
def bilinear_(weight):
    """Caffe's bilinear filler: every [k, k] kernel interpolates bilinearly (for upsampling)."""
    k = weight.shape[-1]
    f = math.ceil(k / 2)
    c = (2 * f - 1 - f % 2) / (2 * f)
    x = torch.arange(k, dtype=torch.float64)
    line = 1 - (x / f - c).abs()
    kernel = line[:, None] * line[None, :]
    weight.copy_(kernel.to(weight.dtype).expand_as(weight))
    return weight
`,
  positive_unitball_: `
@torch.no_grad()
def positive_unitball_(weight):
    """Caffe's positive_unitball filler: U(0, 1), then each output's weights scaled to sum to 1."""
    weight.uniform_(0, 1)
    rows = weight.reshape(weight.shape[0], -1)
    rows.div_(rows.sum(1, keepdim=True))
    weight.copy_(rows.reshape(weight.shape))
    return weight
`,
  sparse_normal_: `
@torch.no_grad()
def sparse_normal_(weight, mean, std, sparse):
    """Caffe's sparse Gaussian filler: N(mean, std), each value kept with probability
    sparse / outputs (outputs: the blob's first axis), else 0."""
    weight.normal_(mean, std)
    keep = min(1.0, sparse / weight.shape[0])
    weight.mul_(torch.bernoulli(torch.full_like(weight, keep)))
    return weight
`,
};

export const LOAD_WEIGHTS = `
_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}


def _read_safetensors(path):
    """A .safetensors file as {name: tensor}, without the safetensors package
    (8-byte little-endian header length, a JSON header, then the raw little-endian data)."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length].decode("utf-8"))
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        dtype = _SAFETENSORS_DTYPES[info["dtype"]]
        if end > begin:
            flat = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype)
        else:
            flat = torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def load_weights(model, path):
    """Loads a .safetensors file into \`model\`; every key must match (strict)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        state = _read_safetensors(path)
    else:
        state = load_file(path)
    model.load_state_dict(state, strict=True)
    return model
`;
