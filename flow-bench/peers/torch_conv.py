"""PyTorch's own 3x3 convolutions at the shapes of realnvp:small's coupling networks (32 -> 32
channels at 28 x 28 and 14 x 14, batch 64) and of a 64-channel Glow network at 14 x 14: milliseconds
per forward call, and per forward with both gradients, on 2 threads. The peer of the per-call times
that `ModelBench --profile` prints (docs/BENCHMARKS.md, "Direct convolutions for every float32
kernel").

    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 flow-bench/peers/torch_conv.py [--seconds S]

The FLOP count of one kernel is 2 n cOut cIn kh kw oh ow, as Conv2dBenchmark counts it; the line
with gradients counts three kernels (forward, input gradient, weight gradient).
"""
import argparse
import time

import torch
import torch.nn.functional as F

SHAPES = [(32, 28), (32, 14), (64, 14)]  # (channels, image side)
BATCH = 64


def timed(step, seconds):
    """Mean seconds per call of step() over about `seconds`, after three calls of warm-up."""
    for _ in range(3):
        step()
    start = time.perf_counter()
    calls = 0
    while time.perf_counter() - start < seconds:
        step()
        calls += 1
    return (time.perf_counter() - start) / calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time per line")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(0)
    print("torch %s, %d threads, mkldnn %s" % (torch.__version__, torch.get_num_threads(),
                                                torch.backends.mkldnn.is_available()))
    for c, s in SHAPES:
        x = torch.randn(BATCH, c, s, s, requires_grad=True)
        w = torch.randn(c, c, 3, 3, requires_grad=True)
        flop = 2.0 * BATCH * c * c * 9 * s * s

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, padding=1)

        def with_gradients():
            y = F.conv2d(x, w, padding=1)
            y.backward(torch.ones_like(y))

        for name, step, kernels in (("forward", forward, 1), ("forward + both gradients", with_gradients, 3)):
            dt = timed(step, args.seconds)
            print("[%d, %d, %d, %d] * [%d, %d, 3, 3] %-25s %7.2f ms %6.1f GFLOP/s"
                  % (BATCH, c, s, s, c, c, name, dt * 1e3, kernels * flop / dt / 1e9))


if __name__ == "__main__":
    main()
