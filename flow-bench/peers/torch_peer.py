#!/usr/bin/python3
"""The PyTorch peer of flows4j's ModelBench: the same three zoo models, the same batches, the
same synthetic data, timed the same way (train steps/s and samples/s), plus the 1024 float32 GEMM.

Models, matching flows4j's zoo presets exactly (flow-zoo NiceFactory, RealNvpFactory, GlowFactory):

  nice:paper  784 dims (1x28x28 pixels in [0, 256) scaled by 1/256), 4 additive couplings over
              the even/odd pixels (even kept first, then odd), each m an MLP 392 -> 1000 x5 (ReLU)
              -> 392, a diagonal scaling exp(s), a standard logistic prior. 19,158,352 parameters.
  realnvp:2d  2 dims, 8 affine couplings y = x exp(tanh(h_s)) + h_t alternating which half is
              kept, each an MLP 1 -> 64 -> 64 (ReLU) -> 2, a standard normal prior.
  glow:small  1x28x28 pixels scaled by 1/256; L=2 levels of squeeze and K=8 steps of actnorm
              (data-initialized), an LU-parameterized invertible 1x1 convolution and an affine
              coupling (first half of the channels kept, scale sigmoid(h + 2), conditioner
              conv3x3 -> ReLU -> conv1x1 -> ReLU -> zero-initialized conv3x3 scaled by exp(3 logs),
              64 hidden channels); level 1 factors out half its channels under a learned prior
              (a zero-initialized conv3x3 of the kept half: means then log-stds), level 2 ends
              with a learned per-element affine; a standard normal on the 784 latents.

A training step is forward, -mean(log p(x)), backward and Adam at lr 1e-4 over a fixed batch
(NICE 256, RealNVP 512, Glow 64); sampling draws a batch from the prior and runs the inverse
without gradients. Rates are the median of --rounds rounds of --seconds each after a warm-up.

Configuration (as fast as this PyTorch allows, see docs/BENCHMARKS.md): Debian's python3-torch
1.13 with the BLAS alternatives (libblas.so.3, liblapack.so.3, libopenblas.so.0) on OpenBLAS's
openmp variant, torch.set_num_threads(2) (or --threads), no anomaly detection or profiler,
Adam(foreach=True), zero_grad(set_to_none=True), oneDNN (mkldnn) convolutions as built, and the
even/odd and half splits as strided views rather than index gathers.

    /usr/bin/python3 flow-bench/peers/torch_peer.py [--seconds 4] [--rounds 5] [--threads 2] [--json out.json]
"""
import argparse
import json
import math
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LN256 = math.log(256.0)


# ---- NICE ------------------------------------------------------------------------------

def mlp(inp, width, depth, out):
    layers = []
    size = inp
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.ReLU()]
        size = width
    layers.append(nn.Linear(size, out))
    return nn.Sequential(*layers)


class Nice(nn.Module):
    def __init__(self, d=784, couplings=4, width=1000, depth=5):
        super().__init__()
        self.d = d
        self.m = nn.ModuleList(mlp(d // 2, width, depth, d // 2) for _ in range(couplings))
        self.log_scale = nn.Parameter(torch.zeros(d))

    def _halves(self, x, i):
        # [B, 784] as [B, 392, 2]: column 0 the even pixels, 1 the odd; even kept when i is even
        v = x.view(x.shape[0], self.d // 2, 2)
        kept = v[:, :, i % 2]
        moved = v[:, :, 1 - i % 2]
        return kept, moved

    def _join(self, kept, moved, i):
        pair = (kept, moved) if i % 2 == 0 else (moved, kept)
        return torch.stack(pair, dim=2).reshape(kept.shape[0], self.d)

    def log_prob(self, x):
        x = x.reshape(x.shape[0], -1) / 256.0
        log_det = -self.d * LN256
        for i, m in enumerate(self.m):
            kept, moved = self._halves(x, i)
            x = self._join(kept, moved + m(kept), i)
        z = x * self.log_scale.exp()
        log_det = log_det + self.log_scale.sum()
        # standard logistic: log p(z) = -softplus(z) - softplus(-z)
        return -(F.softplus(z) + F.softplus(-z)).sum(1) + log_det

    def sample(self, n):
        u = torch.rand(n, self.d).clamp_(1e-7, 1 - 1e-7)
        x = (u.log() - (-u).log1p()) * (-self.log_scale).exp()
        for i in reversed(range(len(self.m))):
            kept, moved = self._halves(x, i)
            x = self._join(kept, moved - self.m[i](kept), i)
        return x * 256.0


# ---- RealNVP 2-D ----------------------------------------------------------------------------

class RealNvp2d(nn.Module):
    def __init__(self, couplings=8, width=64, depth=2):
        super().__init__()
        self.nets = nn.ModuleList(mlp(1, width, depth, 2) for _ in range(couplings))

    def log_prob(self, x):
        log_det = torch.zeros(x.shape[0])
        for i, net in enumerate(self.nets):
            # halves(2, flip): component 0 kept, 1 transformed; flipped on odd couplings
            k, t = (0, 1) if i % 2 == 0 else (1, 0)
            kept = x[:, k:k + 1]
            h = net(kept)
            s = torch.tanh(h[:, :1])
            y = x[:, t:t + 1] * s.exp() + h[:, 1:]
            x = torch.cat((kept, y), 1) if k == 0 else torch.cat((y, kept), 1)
            log_det = log_det + s[:, 0]
        return -0.5 * (x * x).sum(1) - math.log(2 * math.pi) + log_det

    def sample(self, n):
        x = torch.randn(n, 2)
        for i in reversed(range(len(self.nets))):
            k, t = (0, 1) if i % 2 == 0 else (1, 0)
            kept = x[:, k:k + 1]
            h = self.nets[i](kept)
            s = torch.tanh(h[:, :1])
            y = (x[:, t:t + 1] - h[:, 1:]) * (-s).exp()
            x = torch.cat((kept, y), 1) if k == 0 else torch.cat((y, kept), 1)
        return x


# ---- Glow -----------------------------------------------------------------------------------

def squeeze(x):
    """flows4j Squeeze: output channel 4k + 2i + j holds input channel k at offset (i, j)."""
    n, c, h, w = x.shape
    return x.view(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4).reshape(n, 4 * c, h // 2, w // 2)


def unsqueeze(x):
    n, c, h, w = x.shape
    return x.view(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(n, c // 4, 2 * h, 2 * w)


class Conv2dZeros(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, 3, padding=1)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)
        self.logs = nn.Parameter(torch.zeros(1, out, 1, 1))

    def forward(self, x):
        return self.conv(x) * (3.0 * self.logs).exp()


class GlowNet(nn.Module):
    def __init__(self, inp, hidden, out):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, hidden, 1)
        self.out = Conv2dZeros(hidden, out)

    def forward(self, x):
        return self.out(F.relu(self.conv2(F.relu(self.conv1(x)))))


class ActNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, c, 1, 1))

    @torch.no_grad()
    def initialize(self, x):
        mean = x.mean((0, 2, 3), keepdim=True)
        std = (x - mean).square().mean((0, 2, 3), keepdim=True).sqrt().clamp_min(1e-3)
        self.bias.copy_(-mean)
        self.log_scale.copy_(-std.log())

    def forward(self, x):
        return (x + self.bias) * self.log_scale.exp(), self.log_scale.sum() * (x.shape[2] * x.shape[3])

    def inverse(self, z):
        return z * (-self.log_scale).exp() - self.bias


class InvConv1x1Lu(nn.Module):
    def __init__(self, c, generator):
        super().__init__()
        w = torch.linalg.qr(torch.randn(c, c, generator=generator, dtype=torch.float64))[0]
        p, l, u = torch.linalg.lu(w)
        s = torch.diagonal(u)
        self.register_buffer("p", p.float())
        self.register_buffer("sign_s", s.sign().float())
        self.register_buffer("strict_lower", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("strict_upper", torch.triu(torch.ones(c, c), 1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = nn.Parameter(l.float())
        self.upper = nn.Parameter(u.float())
        self.log_abs_s = nn.Parameter(s.abs().log().float())
        self.c = c

    def matrix(self):
        lower = self.lower * self.strict_lower + self.eye
        upper = self.upper * self.strict_upper + torch.diag(self.sign_s * self.log_abs_s.exp())
        return self.p @ lower @ upper

    def forward(self, x):
        w = self.matrix()
        return F.conv2d(x, w.view(self.c, self.c, 1, 1)), self.log_abs_s.sum() * (x.shape[2] * x.shape[3])

    def inverse(self, z):
        w = torch.inverse(self.matrix())
        return F.conv2d(z, w.view(self.c, self.c, 1, 1))


class GlowStep(nn.Module):
    def __init__(self, c, hidden, generator):
        super().__init__()
        self.actnorm = ActNorm(c)
        self.mix = InvConv1x1Lu(c, generator)
        self.half = c // 2
        self.net = GlowNet(c - self.half, hidden, 2 * self.half)

    def forward(self, x):
        x, ld1 = self.actnorm(x)
        x, ld2 = self.mix(x)
        kept, moved = x[:, :self.half], x[:, self.half:]
        h = self.net(kept)
        s = F.logsigmoid(h[:, :self.half] + 2.0)
        y = moved * s.exp() + h[:, self.half:]
        return torch.cat((kept, y), 1), ld1 + ld2 + s.flatten(1).sum(1)

    def inverse(self, z):
        kept, y = z[:, :self.half], z[:, self.half:]
        h = self.net(kept)
        s = F.logsigmoid(h[:, :self.half] + 2.0)
        x = torch.cat((kept, (y - h[:, self.half:]) * (-s).exp()), 1)
        return self.actnorm.inverse(self.mix.inverse(x))


def glow_log_prob(glow, x, init=False):
    """log p(x) in pixel space of a multi-scale Glow, as flows4j's GlowFactory builds it: pixels
    in [0, 256) scaled to [0, 1), then at each level a squeeze and the steps; every level but the
    last factors out the second half of its channels under a Gaussian whose mean and log-std a
    zero-initialized convolution of the kept half gives; the rest under the learned top prior.

    `glow` has `levels` (a list of lists of steps, each `step(x) -> (y, log_det)` with an
    `actnorm` to initialize when `init`), `priors`, `top_mean`, `top_log_scale` and `d`, the
    dimension of x. Shared by the peer's GlowSmall and torch_train.py's twin."""
    x = x * (1.0 / 256)
    log_det = -glow.d * LN256
    sq = 0.0
    for lvl, steps in enumerate(glow.levels):
        x = squeeze(x)
        for step in steps:
            if init:
                step.actnorm.initialize(x)
            x, ld = step(x)
            log_det = log_det + ld
        if lvl < len(glow.levels) - 1:
            c = x.shape[1]
            kept, out = x[:, :c // 2], x[:, c // 2:]
            p = glow.priors[lvl](kept)
            mean, log_std = p[:, :c - c // 2], p[:, c - c // 2:]
            z = (out - mean) * (-log_std).exp()
            sq = sq + z.square().flatten(1).sum(1)
            log_det = log_det - log_std.flatten(1).sum(1)
            x = kept
    z = (x - glow.top_mean) * (-glow.top_log_scale).exp()
    log_det = log_det - glow.top_log_scale.sum()
    sq = sq + z.square().flatten(1).sum(1)
    return -0.5 * sq - glow.d * (0.5 * math.log(2 * math.pi)) + log_det


class GlowSmall(nn.Module):
    def __init__(self, levels=2, steps=8, hidden=64, seed=1):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.levels = nn.ModuleList()
        self.priors = nn.ModuleList()
        c, h, w = 1, 28, 28
        self.shapes = []
        for lvl in range(levels):
            c, h, w = 4 * c, h // 2, w // 2
            self.levels.append(nn.ModuleList(GlowStep(c, hidden, g) for _ in range(steps)))
            if lvl < levels - 1:
                self.priors.append(Conv2dZeros(c - c // 2, 2 * (c // 2)))
                self.shapes.append((c // 2, h, w))
                c = c - c // 2
            else:
                self.shapes.append((c, h, w))
        self.top_mean = nn.Parameter(torch.zeros(1, c, h, w))
        self.top_log_scale = nn.Parameter(torch.zeros(1, c, h, w))
        self.d = 28 * 28

    def _forward(self, x, init=False):
        return glow_log_prob(self, x, init)

    def initialize(self, x):
        with torch.no_grad():
            self._forward(x, init=True)

    def log_prob(self, x):
        return self._forward(x)

    def sample(self, n):
        sizes = [c * h * w for c, h, w in self.shapes]
        z = torch.randn(n, sum(sizes))
        parts = list(torch.split(z, sizes, 1))
        c, h, w = self.shapes[-1]
        x = parts[-1].view(n, c, h, w) * self.top_log_scale.exp() + self.top_mean
        for lvl in reversed(range(len(self.levels))):
            if lvl < len(self.levels) - 1:
                p = self.priors[lvl](x)
                half = x.shape[1]
                mean, log_std = p[:, :half], p[:, half:]
                eps = parts[lvl].view(n, *self.shapes[lvl])
                x = torch.cat((x, eps * log_std.exp() + mean), 1)
            for step in reversed(self.levels[lvl]):
                x = step.inverse(x)
            x = unsqueeze(x)
        return x * 256.0


# ---- timing -------------------------------------------------------------------------------

def rate(seconds, body):
    """Calls per second of body: a quarter of the time warms up, the rest is timed (as ModelBench)."""
    end = time.perf_counter() + 0.25 * seconds
    while time.perf_counter() < end:
        body()
    n = 0
    start = time.perf_counter()
    end = start + 0.75 * seconds
    while n == 0 or time.perf_counter() < end:
        body()
        n += 1
    return n / (time.perf_counter() - start)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--warmup", type=float, default=10, help="seconds of training before each model's rounds")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default=None, help="only this workload (nice:paper, realnvp:2d, glow:small)")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.autograd.set_detect_anomaly(False)
    torch.manual_seed(1)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu {cpu_model()}, "
          f"BLAS {os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3')}, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")

    results = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpu": cpu_model()}

    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    out = torch.empty(1024, 1024)
    gemm = [rate(args.seconds / 2, lambda: torch.mm(a, b, out=out)) * 2 * 1024 ** 3 / 1e9
            for _ in range(args.rounds)]
    results["gemm_gflops"] = statistics.median(gemm)
    print(f"GEMM 1024 float32: median {results['gemm_gflops']:.1f} GFLOP/s (rounds {', '.join(f'{g:.1f}' for g in gemm)})")

    gen = torch.Generator().manual_seed(7)
    workloads = [
        ("nice:paper", lambda: Nice(), lambda: torch.rand(256, 1, 28, 28, generator=gen) * 256, 256),
        ("realnvp:2d", lambda: RealNvp2d(), lambda: torch.randn(512, 2, generator=gen), 512),
        ("glow:small", lambda: GlowSmall(), lambda: torch.rand(64, 1, 28, 28, generator=gen) * 256, 64),
    ]
    table = ["| model | batch | parameters | train steps/s | samples/s |", "|---|---:|---:|---:|---:|"]
    for name, make, data, batch in workloads:
        if args.model and name != args.model:
            continue
        model = make()
        x = data()
        if hasattr(model, "initialize"):
            model.initialize(x)
        params = sum(p.numel() for p in model.parameters())
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, foreach=True)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = -model.log_prob(x).mean()
            loss.backward()
            opt.step()

        def sample():
            with torch.no_grad():
                model.sample(batch)

        end = time.perf_counter() + args.warmup
        while time.perf_counter() < end:
            step()
        steps = [rate(args.seconds, step) for _ in range(args.rounds)]
        samples = [batch * rate(args.seconds, sample) for _ in range(args.rounds)]
        results[name] = {"batch": batch, "parameters": params, "train_steps_per_s": statistics.median(steps),
                         "samples_per_s": statistics.median(samples), "train_rounds": steps, "sample_rounds": samples}
        if name.startswith("nice"):
            results[name]["gflops"] = statistics.median(steps) * 29.19
        table.append(f"| {name} | {batch} | {params:,} | {statistics.median(steps):.2f} | {statistics.median(samples):,.1f} |")
        print(table[-1], flush=True)
    print()
    print("\n".join(table))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
