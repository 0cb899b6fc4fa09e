#!/usr/bin/env python3
"""PyTorch (and numpy/OpenBLAS) reference for `cnn-lessons bench`.

Runs the same fixed workloads as the Swift benchmark on 2 threads and writes the same
flat JSON keys, so that `cnn-lessons bench --compare torch.json` can print both side by side:

    python3 Sources/Benchmarks/pytorch_reference.py all --json torch.json
    python3 Sources/Benchmarks/pytorch_reference.py conv lenet --repetitions 3 --json torch.json

Keys: a repeated figure is "<key>.best" and "<key>.median" (best = fastest run); single
measurements (accuracy, peak memory) are "<key>". numpy's GEMM is under "numpy.gemm.*".
Only the benchmark needs PyTorch; the Swift tests and CI never run this file.
"""

import argparse
import gzip
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

WORKLOADS = ["gemm", "conv", "lenet", "modern", "inference"]
MNIST_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Resources", "MNIST")

# (name, N, C, K, H=W, kernel, padding), stride 1: the four benchmark shapes.
CONV_SHAPES = [
    ("a", 64, 1, 32, 28, 3, 1),
    ("b", 32, 64, 64, 32, 3, 1),
    ("c", 32, 128, 128, 16, 3, 1),
    ("d", 64, 6, 16, 14, 5, 0),
]
GEMM_SIZES = [1024, 2048]
BATCH_SIZE = 64
SEED = 42


# ---------------------------------------------------------------------------------------------
# Timing: warm-up, then repetitions on the monotonic clock; best and median of the samples.

def measure(body, repetitions, warmups=1):
    for _ in range(warmups):
        body()
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        body()
        samples.append(time.perf_counter() - start)
    return samples


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class Results:
    def __init__(self):
        self.values = {}

    def figure(self, key, best, med):
        self.values[key + ".best"] = best
        self.values[key + ".median"] = med
        print(f"  {key}: best {best:.4g}, median {med:.4g}", flush=True)

    def milliseconds(self, key, samples):
        self.figure(key, min(samples) * 1e3, median(samples) * 1e3)

    def rate(self, key, samples, work):
        self.figure(key, work / min(samples), work / median(samples))

    def single(self, key, value):
        self.values[key] = value
        print(f"  {key}: {value:.4g}", flush=True)


def write_json(values, path):
    """Atomically: a temporary file in the same folder, then a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path), suffix=".tmp")
    with os.fdopen(handle, "w") as out:
        json.dump(values, out, indent=2, sort_keys=True)
    os.replace(temporary, path)


# ---------------------------------------------------------------------------------------------
# MNIST from the bundled IDX files, with gzip + numpy (no torchvision).

def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise SystemExit(f"{path}: not an unsigned-byte IDX file")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load_mnist(split, limit=None):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(MNIST_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(MNIST_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    import torch
    # One float32 copy, scaled in place (no float64 or second float32 temporary); torch.tensor
    # copies, so the read-only buffer np.frombuffer returns is never written.
    x = torch.tensor(images, dtype=torch.float32).div_(255.0).reshape(-1, 1, 28, 28)
    y = torch.tensor(labels, dtype=torch.int64)
    return x, y


# ---------------------------------------------------------------------------------------------
# Models: the same layers as Models.leNet5 and Models.modernConvNet in Swift.

def lenet5():
    from torch import nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def modern_net():
    from torch import nn

    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]

    return nn.Sequential(
        *block(1, 32), *block(32, 32), nn.MaxPool2d(2),
        *block(32, 64), *block(64, 64), nn.MaxPool2d(2),
        nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(3136, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


# ---------------------------------------------------------------------------------------------
# Workloads

def run_gemm(results, args):
    import torch
    print("GEMM: torch.mm, n x n, float32", flush=True)
    generator = torch.Generator().manual_seed(SEED)
    for n in GEMM_SIZES:
        a = torch.rand(n, n, generator=generator) * 2 - 1
        b = torch.rand(n, n, generator=generator) * 2 - 1
        c = torch.empty(n, n)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            samples = measure(lambda: torch.mm(a, b, out=c), args.repetitions)
            results.rate(f"gemm.{n}.t{threads}.gflops", samples, 2 * n ** 3 / 1e9)
    torch.set_num_threads(2)

    # numpy in child processes: the thread count of OpenBLAS is fixed when it loads, and
    # OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (set on this machine for old OpenBLAS builds) are
    # removed for this measurement only, so that the current OpenBLAS picks its own kernel.
    for threads in (1, 2):
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env["OPENBLAS_NUM_THREADS"] = str(threads)
        env["OMP_NUM_THREADS"] = str(threads)
        output = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--numpy-gemm", str(threads),
             "--repetitions", str(args.repetitions)],
            env=env, check=True, capture_output=True, text=True).stdout
        child = json.loads(output.strip().splitlines()[-1])
        for key, value in child.items():
            if key.startswith("meta."):
                results.values[key] = value
            else:
                results.values[key] = value
                print(f"  {key}: {value:.4g}", flush=True)


def numpy_gemm_child(threads, repetitions):
    """Runs in a child process with OPENBLAS_NUM_THREADS set; prints one JSON line."""
    rng = np.random.default_rng(SEED)
    values = {}
    for n in GEMM_SIZES:
        a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
        c = np.empty((n, n), dtype=np.float32)
        samples = measure(lambda: np.matmul(a, b, out=c), repetitions)
        key = f"numpy.gemm.{n}.t{threads}.gflops"
        values[key + ".best"] = 2 * n ** 3 / 1e9 / min(samples)
        values[key + ".median"] = 2 * n ** 3 / 1e9 / median(samples)
    try:
        from threadpoolctl import threadpool_info
        blas = [p for p in threadpool_info() if p.get("internal_api") == "openblas"]
        if blas:
            values["meta.numpy_openblas"] = (
                f"{blas[0].get('version')} {blas[0].get('architecture')} {blas[0].get('num_threads')} threads")
    except ImportError:
        values["meta.numpy_openblas"] = "OpenBLAS (threadpoolctl not installed; kernel not checked)"
    print(json.dumps(values))


def run_conv(results, args):
    import torch
    from torch import nn
    torch.manual_seed(SEED)
    for name, n, c, k, size, kernel, padding in CONV_SHAPES:
        print(f"conv ({name}): N{n} C{c} K{k} {size}x{size} {kernel}x{kernel} pad {padding}", flush=True)
        layer = nn.Conv2d(c, k, kernel, padding=padding)
        x = torch.rand(n, c, size, size) * 2 - 1
        with torch.no_grad():
            out_shape = layer(x).shape
        grad = torch.rand(out_shape) * 2 - 1

        def forward():
            with torch.no_grad():
                layer(x)

        def forward_backward():
            # The input gradient is computed too, as the Swift layer's backward returns it.
            x.grad = None
            layer(x).backward(grad)

        results.milliseconds(f"conv.{name}.fwd.ms", measure(forward, args.repetitions))
        x.requires_grad_(True)
        results.milliseconds(f"conv.{name}.fwdbwd.ms", measure(forward_backward, args.repetitions))
        x.requires_grad_(False)

        if name == "b":
            print(f"pool (b): 2x2 max pooling on {list(out_shape)}", flush=True)
            pool = nn.MaxPool2d(2)
            y = torch.rand(out_shape) * 2 - 1
            with torch.no_grad():
                pooled_grad = torch.rand(pool(y).shape) * 2 - 1

            def pool_forward():
                with torch.no_grad():
                    pool(y)

            def pool_forward_backward():
                y.grad = None
                pool(y).backward(pooled_grad)

            results.milliseconds("pool.b.fwd.ms", measure(pool_forward, args.repetitions))
            y.requires_grad_(True)
            results.milliseconds("pool.b.fwdbwd.ms", measure(pool_forward_backward, args.repetitions))


def train_chunks(model, x, y, batches, chunks):
    """Trains `batches` in order in `chunks` timed groups; returns images/s per chunk and overall."""
    import torch
    import torch.nn.functional as F
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()
    chunks = max(1, min(chunks, len(batches)))
    rates, total_images, total_seconds = [], 0, 0.0
    for chunk in range(chunks):
        part = batches[chunk * len(batches) // chunks:(chunk + 1) * len(batches) // chunks]
        images = 0
        start = time.perf_counter()
        for batch in part:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            images += len(batch)
        seconds = time.perf_counter() - start
        rates.append(images / seconds)
        total_images += images
        total_seconds += seconds
    return rates, total_images / total_seconds


def epoch_batches(count):
    import torch
    order = torch.randperm(count, generator=torch.Generator().manual_seed(SEED))
    return [order[i:i + BATCH_SIZE] for i in range(0, count, BATCH_SIZE)]


def test_accuracy(model, x, y):
    import torch
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), 1000):
            correct += (model(x[start:start + 1000]).argmax(1) == y[start:start + 1000]).sum().item()
    return correct / len(y)


def run_lenet(results, args):
    """In a fresh child process unless --child: its ru_maxrss is then the LeNet run's own."""
    if not args.child:
        print("lenet: running in a child process for its own peak memory", flush=True)
        handle, output = tempfile.mkstemp(suffix=".json")
        os.close(handle)
        command = [sys.executable, os.path.abspath(__file__), "lenet", "--child", "--json", output,
                   "--repetitions", str(args.repetitions)]
        if args.batches:
            command += ["--batches", str(args.batches)]
        subprocess.run(command, check=True)
        with open(output) as f:
            results.values.update(json.load(f))
        os.remove(output)
        return
    import torch
    torch.manual_seed(SEED)
    x, y = load_mnist("train")
    test_x, test_y = load_mnist("test")
    batches = epoch_batches(len(y))
    if args.batches:
        batches = batches[:args.batches]
    print(f"lenet: LeNet-5, batch {BATCH_SIZE}, SGD lr 0.01 momentum 0.9, {len(batches)} batches", flush=True)
    model = lenet5()
    rates, overall = train_chunks(model, x, y, batches, args.repetitions)
    results.figure("lenet.train.images_per_s", max(rates), median(rates))
    results.single("lenet.train.epoch_images_per_s", overall)
    results.single("lenet.batches", len(batches))
    results.single("lenet.test_accuracy", test_accuracy(model, test_x, test_y))
    # ru_maxrss is in KiB on Linux; MiB like the Swift side's VmHWM / 1024.
    results.single("lenet.peak_rss_mb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_modern(results, args):
    import torch
    torch.manual_seed(SEED)
    x, y = load_mnist("train")
    model = modern_net()
    batches = epoch_batches(len(y))
    if not args.full_epoch:
        warmup = 2
        train_chunks(model, x, y, batches[:warmup], 1)
        batches = batches[warmup:warmup + 10 * args.repetitions]
    print(f"modern: {len(batches)} timed batches", flush=True)
    rates, overall = train_chunks(model, x, y, batches, args.repetitions)
    results.figure("modern.train.images_per_s", max(rates), median(rates))
    results.single("modern.batches", len(batches))
    if args.full_epoch:
        results.single("modern.train.epoch_images_per_s", overall)
        test_x, test_y = load_mnist("test")
        results.single("modern.test_accuracy", test_accuracy(model, test_x, test_y))


def run_inference(results, args):
    import torch
    torch.manual_seed(SEED)
    test_x, _ = load_mnist("test")
    print(f"inference: {len(test_x)} test images at batch 1000", flush=True)
    for name, model in (("lenet", lenet5()), ("modern", modern_net())):
        model.eval()

        def predict():
            with torch.no_grad():
                for start in range(0, len(test_x), 1000):
                    model(test_x[start:start + 1000])

        with torch.no_grad():
            model(test_x[:1000])  # warm-up: one batch, not a whole pass
        results.rate(f"inference.{name}.images_per_s", measure(predict, args.repetitions, warmups=0), len(test_x))


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", help="gemm, conv, lenet, modern, inference, or all")
    parser.add_argument("--json", metavar="FILE", help="write the results as JSON (atomically)")
    parser.add_argument("--repetitions", type=int, default=5, help="timed repetitions per figure (>= 3)")
    parser.add_argument("--full-epoch", action="store_true", help="modern network: one full epoch")
    parser.add_argument("--batches", type=int, help="LeNet: only N batches instead of one epoch")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--numpy-gemm", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.numpy_gemm:
        numpy_gemm_child(args.numpy_gemm, args.repetitions)
        return
    if args.repetitions < 3:
        parser.error("--repetitions must be at least 3")
    chosen = WORKLOADS if (not args.workloads or "all" in args.workloads) else args.workloads
    for name in chosen:
        if name not in WORKLOADS:
            parser.error(f"unknown workload '{name}'; use {', '.join(WORKLOADS)} or all")

    import torch
    torch.set_num_threads(2)
    results = Results()
    for name in WORKLOADS:
        if name in chosen:
            start = time.perf_counter()
            globals()["run_" + name](results, args)
            print(f"[{name} done in {time.perf_counter() - start:.1f} s]", flush=True)
    if not args.child:
        results.values.update({
            "meta.date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "meta.cpu": cpu_name(),
            "meta.threads": "2",
            "meta.tool": f"pytorch_reference.py (torch {torch.__version__}, numpy {np.__version__})",
            "meta.command": " ".join(sys.argv[1:]),
            "meta.peak_memory": "ru_maxrss of a fresh child process that loaded MNIST and ran only the LeNet workload",
        })
    if args.json:
        write_json(results.values, args.json)
        if not args.child:
            print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
