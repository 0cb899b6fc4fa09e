#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures that the Swift tests compare against.

Run from anywhere:  python3 Tests/CNNTests/Fixtures/make_fixtures.py
Needs Python 3 and torch (CPU). CI never runs this; the JSON it writes is committed.
After regenerating, `CNN_FIXTURE_REPORT=1 swift test -c release --filter "Fixture|LeNetTrace"`
prints the measured error of every comparison, to re-check the tolerances stated in the tests.

Conventions (the Swift loader in Tests/CNNTestSupport/Fixture.swift relies on them):
  * every file has "format": 1, "seed", "torch" (torch.__version__) and "note";
  * layouts are PyTorch's: activations NCHW, convolution weights OIHW, dense weights (O, I);
  * all arithmetic is float32; each value is printed as the shortest decimal that reads back as the
    same float32 (at most 9 significant digits), and the script checks the round trip through a
    double, the path Swift's JSONDecoder takes;
  * a tensor is {"shape": [...], "values": [...]} (row-major), or, to keep the LeNet trace small,
    {"shape": [...], "scale": 2^-k, "integers": [...]} meaning value = integer * scale exactly, or
    {"shape": [...], "stride": s, "values": [...]} holding only flat indices 0, s, 2s, ... (a sample).
"""
import gzip
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

FORMAT = 1
SEED = 20241129
HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_IMAGES = os.path.join(HERE, "../../../Sources/CNN/Resources/MNIST/train-images-idx3-ubyte.gz")
MNIST_LABELS = os.path.join(HERE, "../../../Sources/CNN/Resources/MNIST/train-labels-idx1-ubyte.gz")

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------------------------------------
# JSON writing: one tensor per line, so a regenerated fixture diffs line by line.

class Number:
    """A float32 already formatted; `encode` writes its text unquoted."""

    def __init__(self, text):
        self.text = text


def number(x):
    """Shortest decimal that reads back (also via a double, as Swift does) as the same float32."""
    f = np.float32(x)
    assert np.isfinite(f), f"non-finite value {x}"
    text = str(f)
    if text.endswith(".0"):
        text = text[:-2]
    assert np.float32(float(text)) == f, (text, f)
    return Number(text)


def tensor(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "values": [number(v) for v in t.reshape(-1).tolist()]}


def sampled(t, stride):
    """Every `stride`-th element (flat index), for tensors too big to store whole."""
    flat = t.detach().to(torch.float32).reshape(-1)
    return {"shape": list(t.shape), "stride": stride, "values": [number(v) for v in flat[::stride].tolist()]}


def quantized(t, scale):
    """A tensor whose elements are exact multiples of a power of two, stored as integers."""
    ints = torch.round(t.detach().double() / scale)
    assert torch.equal((ints * scale).float(), t.detach().float()), "tensor is not on the grid"
    return {"shape": list(t.shape), "scale": number(scale), "integers": [int(v) for v in ints.reshape(-1).tolist()]}


def encode(value, indent=0, inline=False):
    """JSON with one tensor (or other short list) per line."""
    if isinstance(value, Number):
        return value.text
    if isinstance(value, dict):
        inline = inline or "values" in value or "integers" in value
        items = [f"{json.dumps(k)}: {encode(v, indent + 1, inline)}" for k, v in value.items()]
        if inline:
            return "{" + ", ".join(items) + "}"
        pad = "  " * (indent + 1)
        return "{\n" + ",\n".join(pad + item for item in items) + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        if not inline and any(isinstance(v, dict) for v in value):
            pad = "  " * (indent + 1)
            return "[\n" + ",\n".join(pad + encode(v, indent + 1) for v in value) + "\n" + "  " * indent + "]"
        separator = "," if len(value) > 16 else ", "  # long arrays without spaces: about 10% smaller
        return "[" + separator.join(encode(v, indent + 1, True) for v in value) + "]"
    assert not isinstance(value, float) or value == value, value
    return json.dumps(value)


def write(name, note, body):
    document = {"format": FORMAT, "seed": SEED, "torch": torch.__version__, "note": note}
    document.update(body)
    text = encode(document)
    json.loads(text)  # must stay valid JSON
    path = os.path.join(HERE, name + ".json")
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"{name}.json  {os.path.getsize(path):>7} bytes")


def randn(generator, *shape, scale=1.0):
    return torch.randn(*shape, generator=generator, dtype=torch.float32) * scale


# ---------------------------------------------------------------------------------------------
# Single layers: inputs, parameters, output, and the gradients of sum(output * gradOutput).

def convolution_cases(g):
    cases = [
        # name,           N, C, O, H, W, K, stride, padding, bias
        ("conv2d_basic",   2, 1, 2, 5, 5, 3, 1, 0, True),
        ("conv2d_s2_p1",   2, 3, 4, 7, 6, 3, 2, 1, True),
        ("conv2d_p2",      1, 3, 2, 6, 5, 3, 1, 2, True),
        ("conv2d_k5_p2",   2, 1, 6, 8, 7, 5, 1, 2, True),
        ("conv2d_s2_nobias", 1, 3, 3, 9, 8, 2, 2, 0, False),
    ]
    for name, n, c, o, h, w, k, stride, padding, has_bias in cases:
        x = randn(g, n, c, h, w).requires_grad_()
        weight = randn(g, o, c, k, k, scale=1 / math.sqrt(c * k * k)).requires_grad_()
        bias = randn(g, o, scale=0.1).requires_grad_() if has_bias else None
        y = F.conv2d(x, weight, bias, stride=stride, padding=padding)
        grad_output = randn(g, *y.shape)
        y.backward(grad_output)
        body = {
            "stride": stride, "padding": padding, "kernelSize": k,
            "input": tensor(x), "weight": tensor(weight),
        }
        if has_bias:
            body["bias"] = tensor(bias)
        body.update({
            "output": tensor(y), "gradOutput": tensor(grad_output),
            "gradInput": tensor(x.grad), "gradWeight": tensor(weight.grad),
        })
        if has_bias:
            body["gradBias"] = tensor(bias.grad)
        write(name, f"F.conv2d(input (N,C,H,W), weight (O,C,K,K), bias, stride={stride}, padding={padding}); "
              "gradients of sum(output * gradOutput)", body)


def assert_no_ties(x, k, stride):
    """Every pooling window has a unique maximum, so the max-pool gradient has one defined target."""
    windows = x.unfold(2, k, stride).unfold(3, k, stride).reshape(*x.shape[:2], -1, k * k)
    top2 = windows.topk(2, dim=-1).values
    assert (top2[..., 0] > top2[..., 1]).all(), "tie in a max-pool window"


def pooling_cases(g):
    cases = [
        ("maxpool_2x2",    "max", 2, 2, (2, 3, 6, 8)),
        ("maxpool_3x3_s2", "max", 3, 2, (2, 2, 7, 9)),
        ("avgpool_2x2",    "avg", 2, 2, (2, 3, 6, 8)),
        ("avgpool_3x3_s2", "avg", 3, 2, (2, 2, 7, 9)),
    ]
    for name, kind, k, stride, shape in cases:
        x = randn(g, *shape)
        if kind == "max":
            assert_no_ties(x, k, stride)
        x.requires_grad_()
        pool = F.max_pool2d if kind == "max" else F.avg_pool2d
        y = pool(x, k, stride)
        grad_output = randn(g, *y.shape)
        y.backward(grad_output)
        note = f"F.{kind}_pool2d(kernel {k}, stride {stride}, no padding, floor mode)"
        if kind == "max":
            note += "; inputs are continuous random normals and checked to have no ties in any window"
        write(name, note, {
            "kernelSize": k, "stride": stride,
            "input": tensor(x), "output": tensor(y), "gradOutput": tensor(grad_output),
            "gradInput": tensor(x.grad),
        })


def dense_case(g):
    x = randn(g, 4, 7).requires_grad_()
    weight = randn(g, 5, 7, scale=0.4).requires_grad_()
    bias = randn(g, 5, scale=0.1).requires_grad_()
    y = F.linear(x, weight, bias)
    grad_output = randn(g, *y.shape)
    y.backward(grad_output)
    write("dense", "F.linear: output = input (N,I) . weight (O,I)^T + bias (O); gradients of sum(output * gradOutput)", {
        "input": tensor(x), "weight": tensor(weight), "bias": tensor(bias),
        "output": tensor(y), "gradOutput": tensor(grad_output),
        "gradInput": tensor(x.grad), "gradWeight": tensor(weight.grad), "gradBias": tensor(bias.grad),
    })


def batch_norm_case(g):
    channels, shape = 3, (4, 3, 5, 4)
    # Per-channel means and spreads far from (0, 1), so the running statistics visibly move.
    centre = torch.tensor([0.5, -1.0, 2.0]).view(1, 3, 1, 1)
    spread = torch.tensor([2.0, 0.5, 1.5]).view(1, 3, 1, 1)
    bn = torch.nn.BatchNorm2d(channels, momentum=0.1, eps=1e-5)
    with torch.no_grad():
        bn.weight.copy_(1 + randn(g, channels, scale=0.2))
        bn.bias.copy_(randn(g, channels, scale=0.2))
    scale0, offset0 = bn.weight.detach().clone(), bn.bias.detach().clone()
    steps = []
    for step in range(3):
        x = (randn(g, *shape) * spread + centre).requires_grad_()
        bn.zero_grad()
        y = bn(x)
        grad_output = randn(g, *y.shape)
        y.backward(grad_output)
        steps.append({
            "input": tensor(x), "output": tensor(y), "gradOutput": tensor(grad_output),
            "gradInput": tensor(x.grad), "gradScale": tensor(bn.weight.grad), "gradOffset": tensor(bn.bias.grad),
            "runningMean": tensor(bn.running_mean), "runningVariance": tensor(bn.running_var),
        })
    bn.eval()
    x_eval = randn(g, 2, 3, 5, 4) * spread + centre
    with torch.no_grad():
        y_eval = bn(x_eval)
    write("batchnorm2d", "nn.BatchNorm2d(3, momentum=0.1, eps=1e-5): three training-mode steps on different "
          "batches from fresh running statistics (mean 0, variance 1), parameters unchanged between steps; "
          "each step's output uses the batch's biased variance, the running variance is updated with the "
          "unbiased one; runningMean/runningVariance are the values after that step; then an eval-mode "
          "output from the running statistics. Gradients are of sum(output * gradOutput), each step on its own.", {
        "epsilon": 1e-5, "momentum": 0.1,
        "scale": tensor(scale0), "offset": tensor(offset0),
        "steps": steps,
        "evalInput": tensor(x_eval), "evalOutput": tensor(y_eval),
    })


def cross_entropy_cases(g):
    cases = [("softmax_cross_entropy", 6, 10, 3.0), ("softmax_cross_entropy_large", 4, 5, 300.0)]
    for name, n, classes, spread in cases:
        logits = randn(g, n, classes, scale=spread).requires_grad_()
        labels = torch.randint(0, classes, (n,), generator=g)
        loss = F.cross_entropy(logits, labels, reduction="mean")
        loss.backward()
        write(name, "F.cross_entropy(logits (N, classes), labels, reduction='mean'); gradLogits = d loss / d logits; "
              "probabilities = softmax over each row" + ("; logits in the hundreds test numerical stability"
                                                       if spread > 100 else ""), {
            "logits": tensor(logits), "labels": labels.tolist(),
            "loss": number(loss.item()), "gradLogits": tensor(logits.grad),
            "probabilities": tensor(torch.softmax(logits.detach(), dim=1)),
        })


def mse_case(g):
    prediction = randn(g, 3, 4).requires_grad_()
    target = randn(g, 3, 4)
    loss = F.mse_loss(prediction, target, reduction="mean")
    loss.backward()
    write("mean_squared_error", "F.mse_loss(prediction, target, reduction='mean'): mean over every element", {
        "prediction": tensor(prediction), "target": tensor(target),
        "loss": number(loss.item()), "gradient": tensor(prediction.grad),
    })


def optimizer_tiny_case(g):
    """A few optimizer steps on a dense layer fitting random targets (for the optimizer chapters)."""
    x = randn(g, 8, 3)
    target = randn(g, 8, 2)
    weight0 = randn(g, 2, 3, scale=0.5)
    bias0 = randn(g, 2, scale=0.1)
    runs = []
    configs = [
        ("adam", dict(lr=0.1), "torch.optim.Adam(lr=0.1) (betas 0.9, 0.999, eps 1e-8)"),
        ("adam", dict(lr=0.1, weight_decay=0.1), "torch.optim.Adam(lr=0.1, weight_decay=0.1): L2 term added to the gradient"),
        ("sgd", dict(lr=0.1, momentum=0.9), "torch.optim.SGD(lr=0.1, momentum=0.9)"),
        ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
         "torch.optim.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)"),
    ]
    for kind, options, description in configs:
        weight = weight0.clone().requires_grad_()
        bias = bias0.clone().requires_grad_()
        optimizer = (torch.optim.Adam if kind == "adam" else torch.optim.SGD)([weight, bias], **options)
        losses, weights, biases = [], [], []
        for _ in range(5):
            optimizer.zero_grad()
            loss = F.mse_loss(F.linear(x, weight, bias), target)
            loss.backward()
            losses.append(number(loss.item()))
            optimizer.step()
            weights.append(tensor(weight))
            biases.append(tensor(bias))
        runs.append({
            "optimizer": kind, "description": description,
            "learningRate": options["lr"], "momentum": options.get("momentum", 0.0),
            "nesterov": options.get("nesterov", False), "weightDecay": options.get("weight_decay", 0.0),
            "losses": losses, "weights": weights, "biases": biases,
        })
    write("optimizers_tiny", "Dense(3->2) fit to random targets with F.mse_loss (mean): five steps per run from the "
          "same initial parameters; losses[i] is computed before step i, weights[i]/biases[i] right after it", {
        "input": tensor(x), "target": tensor(target), "weight": tensor(weight0), "bias": tensor(bias0),
        "runs": runs,
    })


def optimizer_family_case():
    """Five steps of every optimizer chapter 11 races, RMSProp's variants and AdamW, on one problem."""
    g = torch.Generator().manual_seed(SEED + 11)
    x = randn(g, 8, 3)
    target = randn(g, 8, 2)
    weight0 = randn(g, 2, 3, scale=0.5)
    bias0 = randn(g, 2, scale=0.1)
    configs = [
        ("sgd", "SGD", dict(lr=0.1)),
        ("momentum", "SGD", dict(lr=0.1, momentum=0.9)),
        ("nesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("rmsprop", "RMSprop", dict(lr=0.01)),
        ("rmsprop-momentum", "RMSprop", dict(lr=0.01, momentum=0.9)),
        ("rmsprop-centered", "RMSprop", dict(lr=0.01, centered=True)),
        ("rmsprop-all", "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, momentum=0.5, centered=True, weight_decay=0.1)),
        ("adam", "Adam", dict(lr=0.1)),
        ("adamw", "AdamW", dict(lr=0.1, weight_decay=0.1)),
        ("adamw-strong", "AdamW", dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6, weight_decay=1.0)),
    ]
    runs = []
    for name, kind, options in configs:
        weight = weight0.clone().requires_grad_()
        bias = bias0.clone().requires_grad_()
        optimizer = getattr(torch.optim, kind)([weight, bias], **options)
        losses, weights, biases = [], [], []
        for _ in range(5):
            optimizer.zero_grad()
            loss = F.mse_loss(F.linear(x, weight, bias), target)
            loss.backward()
            losses.append(number(loss.item()))
            optimizer.step()
            weights.append(tensor(weight))
            biases.append(tensor(bias))
        group = optimizer.param_groups[0]
        settings = {key: group[key] for key in ("lr", "weight_decay", "momentum", "nesterov", "alpha", "eps",
                                                "centered") if key in group}
        if "betas" in group:
            settings["beta1"], settings["beta2"] = group["betas"]
        runs.append({
            "name": name, "description": f"torch.optim.{kind}({', '.join(f'{k}={v}' for k, v in options.items())})",
            "settings": settings, "losses": losses, "weights": weights, "biases": biases,
        })
    write("optimizers_family", "Dense(3->2) fit to random targets with F.mse_loss (mean), five steps per run from "
          "the same initial parameters; losses[i] is computed before step i, weights[i]/biases[i] right after it. "
          "settings are the optimizer's param_group after construction (defaults filled in).", {
        "input": tensor(x), "target": tensor(target), "weight": tensor(weight0), "bias": tensor(bias0),
        "runs": runs,
    })


def schedule_case():
    """The learning rate of each step under torch.optim.lr_scheduler, for the four schedules of chapter 11."""
    total, base = 100, 0.1

    def rates(make):
        parameter = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([parameter], lr=base, momentum=0.9)
        scheduler = make(optimizer)
        out = []
        for _ in range(total):
            out.append(number(scheduler.get_last_lr()[0]))
            optimizer.step()
            scheduler.step()
        return out

    sched = torch.optim.lr_scheduler
    warmup, start_factor, minimum = 10, 0.01, 0.001
    write("lr_schedules", f"Learning rate of steps 0..{total - 1} (get_last_lr() before each optimizer step) for SGD "
          f"with base rate {base}. constant: no scheduler. step: StepLR(step_size=30, gamma=0.1). warmupCosine: "
          f"SequentialLR([LinearLR(start_factor={start_factor}, total_iters={warmup}), CosineAnnealingLR(T_max="
          f"{total - warmup}, eta_min={minimum})], milestones=[{warmup}]). oneCycle: OneCycleLR(max_lr={base}, "
          f"total_steps={total}, pct_start=0.3, anneal_strategy='cos', div_factor=25, final_div_factor=1e4, "
          "cycle_momentum=False).", {
        "baseRate": number(base), "totalSteps": total,
        "step": {"stepSize": 30, "factor": number(0.1), "rates": rates(lambda o: sched.StepLR(o, step_size=30, gamma=0.1))},
        "warmupCosine": {
            "warmupSteps": warmup, "startFactor": number(start_factor), "finalRate": number(minimum),
            "rates": rates(lambda o: sched.SequentialLR(o, [
                sched.LinearLR(o, start_factor=start_factor, end_factor=1.0, total_iters=warmup),
                sched.CosineAnnealingLR(o, T_max=total - warmup, eta_min=minimum)], milestones=[warmup]))},
        "oneCycle": {
            "warmupFraction": number(0.3), "divFactor": number(25), "finalDivFactor": number(1e4),
            "rates": rates(lambda o: sched.OneCycleLR(o, max_lr=base, total_steps=total, pct_start=0.3,
                                                       anneal_strategy="cos", div_factor=25, final_div_factor=1e4,
                                                       cycle_momentum=False))},
    })


# ---------------------------------------------------------------------------------------------
# LeNet-5 training trace: 10 SGD-momentum steps and 10 Adam steps on the first 32 MNIST images.

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def lenet():
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10))


def grid_scale(bound):
    """A power of two that puts 32 to 64 grid steps between 0 and `bound`."""
    return 2.0 ** math.floor(math.log2(bound / 32))


# Sampling strides for the final weights of the two big dense layers (coprime with their row
# lengths 400 and 120, so the sample covers every column); all other tensors are stored whole.
FINAL_STRIDE = {"7.weight": 41, "9.weight": 13}


def lenet_trace():
    torch.manual_seed(SEED)
    batch = 32
    images = read_idx(MNIST_IMAGES)[:batch]
    labels = torch.tensor(read_idx(MNIST_LABELS)[:batch].astype(np.int64))
    x = torch.tensor(images.astype(np.float32)).unsqueeze(1) / 255  # (32, 1, 28, 28), pixels/255

    model = lenet()
    # PyTorch's default init, then each tensor snapped onto a grid of 2^-k so that it is stored
    # exactly as small integers (the whole trace would otherwise be well over 1 MB).
    initial = {}
    with torch.no_grad():
        for name, p in model.named_parameters():
            # PyTorch draws weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)); same grid for both.
            fan_in = dict(model.named_parameters())[name.replace("bias", "weight")][0].numel()
            scale = grid_scale(1 / math.sqrt(fan_in))
            p.copy_(torch.round(p / scale) * scale)
            initial[name] = (p.detach().clone(), scale)

    with torch.no_grad():
        initial_logits = model(x)

    runs = {}
    for kind in ("sgd", "adam"):
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(initial[name][0])
        if kind == "sgd":
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        else:
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(10):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), labels)
            loss.backward()
            losses.append(number(loss.item()))
            optimizer.step()
        final, delta_norms = {}, {}
        for name, p in model.named_parameters():
            stride = FINAL_STRIDE.get(name)
            final[name] = sampled(p, stride) if stride else tensor(p)
            delta_norms[name] = number((p.detach().double() - initial[name][0].double()).norm().item())
        runs[kind] = {"losses": losses, "finalWeights": final, "deltaNorms": delta_norms}

    write("lenet_trace", "LeNet-5 as nn.Sequential (parameter names are its indices: 0 conv5x5 1->6 pad 2, 1 ReLU, "
          "2 maxpool 2, 3 conv5x5 6->16, 4 ReLU, 5 maxpool 2, 6 flatten, 7 dense 400->120, 8 ReLU, 9 dense 120->84, "
          "10 ReLU, 11 dense 84->10). Input: the first 32 images of the bundled MNIST training set, pixels/255, "
          "and their labels. initialWeights: PyTorch's default init snapped to a 2^-k grid (stored exactly as "
          "integers). Each run starts from initialWeights; losses[i] = F.cross_entropy (mean) computed before "
          "step i; finalWeights after 10 steps (7.weight and 9.weight sampled every 'stride'-th flat index); "
          "deltaNorms = ||final - initial||_2 over the whole tensor. sgd: SGD(lr=0.01, momentum=0.9); "
          "adam: Adam(lr=1e-3).", {
        "batchIndices": {"start": 0, "count": batch},
        "labels": labels.tolist(),
        "pixelSum": number(x.double().sum().item()),
        "parameterOrder": [name for name, _ in model.named_parameters()],
        "initialWeights": {name: quantized(t, s) for name, (t, s) in initial.items()},
        "initialLogits": tensor(initial_logits),
        "sgd": {"learningRate": 0.01, "momentum": 0.9, **runs["sgd"]},
        "adam": {"learningRate": 1e-3, **runs["adam"]},
    })


def main():
    import sys
    if len(sys.argv) > 1:
        # `make_fixtures.py optimizers_family lr_schedules`: only the named cases (each of these two
        # has its own generator, so the other fixtures stay as they are).
        cases = {"optimizers_family": optimizer_family_case, "lr_schedules": schedule_case}
        for name in sys.argv[1:]:
            cases[name]()
        return
    torch.manual_seed(SEED)
    g = torch.Generator().manual_seed(SEED)
    convolution_cases(g)
    pooling_cases(g)
    dense_case(g)
    batch_norm_case(g)
    cross_entropy_cases(g)
    mse_case(g)
    optimizer_tiny_case(g)
    optimizer_family_case()
    schedule_case()
    lenet_trace()
    total = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE) if f.endswith(".json"))
    print(f"total {total} bytes")
    assert total < 500_000, "fixtures must stay well under 1 MB"


if __name__ == "__main__":
    main()
