#!/usr/bin/env python3
"""PyTorch baseline for bench/RESULTS.md: timm efficientnet_b0 (random
weights), fp16, channels_last, cudnn.benchmark, eager and torch.compile, on
the same card and in the same run as blockfuse's gpu_bench. A third variant,
torch.compile(mode="reduce-overhead"), adds CUDA graphs, which is what
blockfuse itself uses.

The input is already a normalised fp16 tensor on the GPU (the baseline gets
its preprocessing and transfers for free; blockfuse's numbers include the
uint8 H2D copy, the normalisation and the logits D2H). Times are CUDA-event
medians after warm-up. Prints one table and writes JSON lines with --json.
"""
import argparse
import json
import statistics
import sys
import time

import torch


def bench(fn, x, iters, warmup):
    """Median milliseconds of fn(x) over iters, CUDA events, after warmup."""
    with torch.inference_mode():
        for _ in range(warmup):
            fn(x)
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            a = torch.cuda.Event(enable_timing=True)
            b = torch.cuda.Event(enable_timing=True)
            a.record()
            fn(x)
            b.record()
            b.synchronize()
            times.append(a.elapsed_time(b))
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", default="1,8,64,256")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    import timm

    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = timm.create_model("efficientnet_b0", pretrained=False).eval()
    model = model.to(dev, memory_format=torch.channels_last).half()
    compiled = None if args.no_compile else torch.compile(model)
    graphed = None if args.no_compile else torch.compile(model, mode="reduce-overhead")
    print(f"torch {torch.__version__}, timm {timm.__version__}, {torch.cuda.get_device_name(0)}")
    rows = []
    print(f"{'batch':>6} {'variant':>10} {'ms':>9} {'img/s':>10} {'compile s':>10}")
    for b in [int(s) for s in args.batches.split(",")]:
        x = torch.randn(b, 3, 224, 224, device=dev).half().contiguous(memory_format=torch.channels_last)
        variants = [("eager", model)]
        if compiled is not None:
            variants += [("compile", compiled), ("compile+cg", graphed)]
        for name, fn in variants:
            t0 = time.time()
            with torch.inference_mode():
                for _ in range(3):  # first calls compile (and record graphs)
                    fn(x)
            torch.cuda.synchronize()
            first = time.time() - t0
            ms = bench(fn, x, args.iters, 10)
            rows.append({"batch": b, "variant": name, "ms": ms, "img_s": b / ms * 1e3})
            print(f"{b:6d} {name:>10} {ms:9.3f} {b / ms * 1e3:10.0f} {first:10.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
