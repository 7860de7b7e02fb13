#!/usr/bin/env python3
"""PyTorch baseline for bench/RESULTS.md: timm efficientnet_b0 (or --model, e.g. convnext_tiny; random
weights), fp16, channels_last, cudnn.benchmark, eager and torch.compile, on
the same card and in the same run as blockfuse's gpu_bench. A third variant,
torch.compile(mode="reduce-overhead"), adds CUDA graphs, which is what
blockfuse itself uses.

The input is already a normalised fp16 tensor on the GPU (the baseline gets
its preprocessing and transfers for free; blockfuse's numbers include the
uint8 H2D copy, the normalisation and the logits D2H). Times are CUDA-event
medians after warm-up. Prints one table and writes JSON lines with --json.

With --streams N (and --stream-batches) each variant is also timed as N
CUDA streams, each with its own input, fed round-robin from this thread
without waiting: the time per batch when N batches run at once, which is
what gpu_bench --concurrent N measures for blockfuse's executors.
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


def bench_streams(fn, xs, iters, warmup):
    """Milliseconds per batch of fn over len(xs) streams at once: the median of
    5 rounds of iters launches per stream (wall time to a full synchronize)."""
    streams = [torch.cuda.Stream() for _ in xs]
    rounds = []
    with torch.inference_mode():
        for r in range(-1, 5):  # round -1: warm-up
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(warmup if r < 0 else iters):
                for st, x in zip(streams, xs):
                    with torch.cuda.stream(st):
                        fn(x)
            torch.cuda.synchronize()
            if r >= 0:
                rounds.append((time.perf_counter() - t0) * 1e3 / (iters * len(xs)))
    return statistics.median(rounds)


def random_input(b, dev):
    """A batch of b random fp16 images, channels_last, on dev."""
    return torch.randn(b, 3, 224, 224, device=dev).half().contiguous(memory_format=torch.channels_last)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="efficientnet_b0",
                    help="the timm model (convnext_tiny: bench/arch_model's convnext_tiny)")
    ap.add_argument("--batches", default="1,8,64,256")
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--streams", type=int, default=0)
    ap.add_argument("--stream-batches", default="64,256")
    ap.add_argument("--stream-iters", type=int, default=20)
    args = ap.parse_args()
    import timm

    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda")
    model = timm.create_model(args.model, pretrained=False).eval()
    model = model.to(dev, memory_format=torch.channels_last).half()
    compiled = None if args.no_compile else torch.compile(model)
    graphed = None if args.no_compile else torch.compile(model, mode="reduce-overhead")
    variants = [("eager", model)]
    if compiled is not None:
        variants += [("compile", compiled), ("compile+cg", graphed)]
    print(f"torch {torch.__version__}, timm {timm.__version__}, {args.model}, "
          f"{torch.cuda.get_device_name(0)}")
    rows = []
    print(f"{'batch':>6} {'variant':>10} {'ms':>9} {'img/s':>10} {'compile s':>10}")
    for b in [int(s) for s in args.batches.split(",")]:
        x = random_input(b, dev)
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
    if args.streams >= 2:
        print(f"{args.streams} streams at once (time per batch):")
        for b in [int(s) for s in args.stream_batches.split(",")]:
            xs = [random_input(b, dev) for _ in range(args.streams)]
            for name, fn in variants:
                try:
                    ms = bench_streams(fn, xs, args.stream_iters, 3)
                except Exception as e:  # e.g. CUDA graphs refused on side streams
                    print(f"{b:6d} {name:>10} {args.streams} streams: failed: {e}", flush=True)
                    continue
                rows.append({"batch": b, "variant": name, "streams": args.streams, "ms": ms,
                             "img_s": b / ms * 1e3})
                print(f"{b:6d} {name:>10} {ms:9.3f} {b / ms * 1e3:10.0f} ({args.streams} streams)",
                      flush=True)
    if args.json:
        with open(args.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
