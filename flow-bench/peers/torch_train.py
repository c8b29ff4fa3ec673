#!/usr/bin/python3
"""The PyTorch training twin of `flows4j train` (issue 15): the same model, data pipeline and recipe,
trained for a wall-clock budget, then scored on the test split as `flows4j eval` scores it.

    /usr/bin/python3 flow-bench/peers/torch_train.py --model nice:paper --minutes 60 --json nice.json
    /usr/bin/python3 flow-bench/peers/torch_train.py --model realnvp:small --minutes 60 --json realnvp.json
    /usr/bin/python3 flow-bench/peers/torch_train.py --model glow:small --minutes 60 --json glow.json
    /usr/bin/python3 flow-bench/peers/torch_train.py --model glow:fmnist --minutes 60 --json glow-fmnist.json
    /usr/bin/python3 flow-bench/peers/torch_train.py --model maf:images --minutes 5 --json maf.json
    /usr/bin/python3 flow-bench/peers/torch_train.py --model glow:small -O steps=16 -O hidden=128 --minutes 60
        (flows4j's -O; or --levels/--steps-per-level/--hidden)
    # smoke test: 10 s of training on 2,000 images, test on 500
    /usr/bin/python3 flow-bench/peers/torch_train.py --model nice:paper --minutes 0.17 --limit 2000 --test-limit 500

The flows4j side of the race is, for example,
    flows4j train -m nice:paper -d fashion-mnist --minutes 60 --out runs/nice     # same defaults as here
    flows4j eval -c runs/nice/last.safetensors         # the test split, as --json's "test" here

Options with flows4j's names and defaults (the preset's recipe, as flows4j's ModelFactory.recipe:
nice:paper batch 256, lr 3e-3, cosine, warmup 50, scaling layer at 100x the rate; glow:fmnist batch 64, lr 1e-3, cosine, warmup 200;
maf:images batch 64, lr 3e-4, cosine, warmup 200; the others batch 64, lr 1e-3, warmup, warmup 200):
--batch, --lr, --lr-schedule (constant|warmup|cosine), --warmup, --clip 100 (0 off), --ema 0 (off;
a decay such as 0.999),
--scaling-lr-factor F (NICE's scaling layer; flows4j's --lr-factor '*.logScale=F'),
--seed 0, one of --minutes M / --steps N / --epochs N (default 1 epoch), --eval-every-minutes
(default a tenth of --minutes), --limit N (training images), --data-dir (default
/usr/share/datasets/fashion-mnist). Own options: --threads 2, --test-limit N (first N test images;
default all 10,000, as `flows4j eval`), --scaling-init data|identity (NICE), -O KEY=VALUE (as flows4j's:
nice couplings/width/depth/scaling-init, realnvp width/blocks/scales, glow levels/steps/hidden, maf
transforms/width/depth/scale) and for Glow
--levels/--steps-per-level/--hidden (--steps is the run's length, as in flows4j, so Glow's K is
-O steps=K or --steps-per-level),
--print-every seconds of training time between progress lines, --json FILE.

What is matched, read from the flows4j sources:

  Models (flow-zoo NiceFactory, RealNvpFactory, GlowFactory, MafFactory and the flow-layers classes
  they use):
  nice:paper: pixels / 256 (log-det -784 ln 256), 4 additive couplings on the even/odd pixels (even
    kept first), each m an MLP 392 -> 1000 x5 ReLU -> 392 with a zero-initialized output layer, a
    diagonal scaling exp(s), a standard logistic prior (-z - 2 softplus(-z)). 19,158,352 parameters.
    --scaling-init data (default): before the first step, s = -ln(max(std, 1e-3)) per dimension, std
    the population standard deviation over the initialization batch of the scaling layer's input (the
    couplings' output), ActNorm's formula and MIN_STD; identity: s = 0 (flows4j's DiagonalScaling
    before the data initialization was added).
  realnvp:small: pixels / 256, the logit with alpha 0.05 (p = alpha + (1 - 2 alpha) x, log-det
    ln(1 - 2 alpha) - ln p - ln(1 - p)), then 2 scales: 3 checkerboard couplings ((i + j) even kept,
    then odd, then even; the conditioner sees b * x in all channels and predicts s and t everywhere;
    y = b x + (1 - b)(x exp(tanh h_s) + h_t)), a squeeze (channel 4k + 2i + j), 3 channel-wise
    couplings (first half kept, then second, then first), half the channels factored out (the second
    half, no learned prior); the last scale 4 checkerboard couplings; a standard normal on the 784
    latents. Conditioners are ResNets: conv3x3 in -> 32, 2 pre-activation blocks
    h + conv3x3(relu(conv3x3(relu h))), conv3x3(relu h) -> 2 x transformed channels, zero-initialized;
    no batch or weight normalization (flows4j leaves them out). 384,962 parameters.
  glow:small: pixels / 256, L=2 levels of squeeze and K=8 steps of actnorm (data-initialized, std
    floor 1e-3), an LU 1x1 convolution (P fixed, L and U full matrices masked, log|s| learned, sign
    fixed, from a random orthogonal matrix), an affine coupling (first half kept; s = max(ln
    sigmoid(h_s + 2), -10); GlowNet conv3x3 -> ReLU -> conv1x1 -> ReLU -> zero conv3x3 times exp(3
    logs), 64 hidden); level 1 factors out the second half under a zero-initialized conv3x3 prior
    (means then log-stds) of the kept half; the last level ends with a learned per-element affine;
    a standard normal on the 784 latents. 153,152 parameters.
  glow:fmnist: glow:small with K=16 steps per level; 305,440 parameters.
  maf:images: pixels / 256 and the logit with alpha 0.05 (as realnvp:small), flattened to 784; 5
    Gaussian MADEs, orderings natural, reversed, natural, ... (the pixel at position k of the ordering
    has degree k + 1); one hidden layer of 1024 ReLU units of degree k % 783 + 1; masks connect a
    hidden unit to inputs of degree <= its own and an output to hidden units of lower degree; the
    outputs are [mu | h] per pixel, alpha = max(ln sigmoid(h + 2), -10) (Glow's bounded scale;
    -O scale=exp for MAF's alpha = h), z = (x - mu) exp(-alpha), log-det -sum alpha; the output
    layer zero-initialized; a standard normal on the 784 latents;
    no batch normalization. The masked weights are full parameters multiplied by the mask each
    step (flows4j's Made.MaskedLinear), so 12,055,200 parameters.
  Weights are drawn from the same distributions as flows4j's (U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
  PyTorch's default, which flows4j copies; NICE's hidden layers He: U(-sqrt(6/fan_in), sqrt(6/fan_in))
  with zero biases, flows4j's WeightInit.HE, -O weight-init=pytorch for the default), not the same values (flows4j draws from its own
  xoshiro256** stream). The parameter count printed is checked against the formulas of flow-zoo's
  ModelFactoryTest.

  Data (IdxImagesFactory, Splits): train = the first 54,000 training images, validation = the last
  6,000 (a fixed unshuffled tail; no seed involved), test = the 10,000 t10k images. --limit L keeps
  the first L training images and ceil(6000 L / 54000) validation images (flows4j's Splits); the test
  split stays whole, as `flows4j eval` loads it without a limit (--test-limit is ours). Validation
  evaluates at most 10,000 images (ZooTrainer.MAX_VALIDATION), in batches of 256.

  Batches (ZooBatches): epoch e visits the training split in flows4j's own permutation, the same
  indices: RandomSource.seeded(seed * 0x9E3779B97F4A7C15 + e).permutation(n), reimplemented here
  (xoshiro256** seeded by SplitMix64, Fisher-Yates with flows4j's nextInt); whole batches only
  (the remainder of an epoch is dropped). The order is computed at the start of each epoch outside
  the timed region (pure Python takes ~0.1 s where torch.randperm would take 1 ms). The
  initialization batch (actnorm, NICE's scaling) is the first max(batch, 256) images of epoch 1.
  Dequantization: pixels + U[0, 1), fresh noise every step, then the model's / 256 with log-det
  -D ln 256 (and the logit for RealNVP), so the density is one of pixel space.

  Recipe (TrainCommand, TrainConfig, Trainer, ZooTrainer, flow-layers optim): Adam beta1 0.9,
  beta2 0.999, eps 1e-8 added to sqrt of the bias-corrected second moment (PyTorch's Adam is the
  same update); NICE's scaling layer at --scaling-lr-factor times the rate (flows4j's
  LearningRateFactors, nice:paper's recipe '*.logScale=100'; a parameter group here); the learning
  rate of update t (t updates done before) is: constant lr; warmup
  lr min(1, (t + 1) / max(1, warmup)); cosine: the warmup for t < warmup, then
  lr (1 + cos(pi p)) / 2 with p = min(1, (t - warmup) / (total - warmup)) for --steps/--epochs, or
  with --minutes p = min(1, training time used before the update / budget) (WarmupCosine.atFraction;
  the warmup stays in steps). Clipping: global L2 norm over all gradients; scaled by clip / norm
  only when the norm exceeds clip; a NaN or infinite loss or norm stops the run, as in flows4j.
  EMA: a = decay a + (1 - decay) p after every update (no bias correction), starting from the
  initialized weights; validation and test use the averages.

  Timing (Trainer.fit): only the updates and the making of their batches count, the first ones
  included; evaluation, printing and the epoch permutation do not. With --minutes the run stops at
  the first step boundary after the budget; validation runs every --eval-every-minutes of training
  time (default a tenth of the budget, at the first step after each multiple) and once at the end.
  Without --minutes and --eval-every-minutes, validation runs after every epoch (and at the end if
  the last step is not an epoch's end; flows4j's `train` then reports the last epoch's).

  Evaluation (Evaluator, EvalResult): NLL in nats per image of the data scaled to [0, 1] (NICE's
  convention), nll_nats = -log p(x) - D ln 256 with x the dequantized pixels, and bits/dim in pixel
  space, bpd = -log p(x) / (D ln 2). One dequantization draw, the same noise on every validation
  (flows4j: seed + 1 for validation, seed + 2 for the test; here torch generators seeded the same
  way, so the noise is fixed but not flows4j's values).

Not matched: the random values (initial weights, 1x1 convolutions, dequantization noise) come from
torch's generator, not flows4j's xoshiro256** stream (replicating the noise in Python would cost as
much as the step); float32 summation order differs; no checkpoints are written (flows4j writes one
every epoch, outside the timed region).

Configuration: Debian's python3-torch 1.13 on OpenBLAS's openmp variant, torch.set_num_threads(--threads),
OMP_WAIT_POLICY=PASSIVE unless set (as flows4j's launcher and torch_peer.py), no anomaly detection,
Adam(foreach=True), zero_grad(set_to_none=True), strided views for the even/odd split, torch.no_grad
for evaluation.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads libgomp

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_peer import ActNorm, Conv2dZeros, GlowNet, glow_log_prob, squeeze  # noqa: E402

LN256 = math.log(256.0)
HALF_LOG_TWO_PI = 0.5 * math.log(2 * math.pi)
MIN_STD = 1e-3  # flows4j ActNorm.MIN_STD
SIGMOID_MIN_LOG_SCALE = -10.0  # flows4j CouplingTransform.Scale.SIGMOID_MIN_LOG_SCALE
REALNVP_ALPHA = 0.05  # flows4j RealNvpFactory.ALPHA
MAX_VALIDATION = 10_000  # flows4j ZooTrainer.MAX_VALIDATION
EVAL_BATCH = 256  # flows4j TrainConfig.defaults evalBatchSize, EvalCommand --batch
MIN_INITIALIZATION = 256  # flows4j ZooBatches.MIN_INITIALIZATION


# ---- flows4j's RandomSource (xoshiro256** seeded by SplitMix64), for the batch order ----------

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


def _splitmix_state(seed):
    x = seed & M64
    out = []
    for _ in range(4):
        x = (x + GOLDEN) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        out.append(z ^ (z >> 31))
    return out


def _xoshiro(state):
    """xoshiro256** (flows4j's RandomSource.nextLong) from state [s0, s1, s2, s3], endlessly."""
    s0, s1, s2, s3 = state
    while True:
        r = (s1 * 5) & M64
        r = (((r << 7) | (r >> 57)) & M64) * 9 & M64
        t = (s1 << 17) & M64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & M64
        yield r


def xoshiro_longs(state, n):
    """The next n outputs of xoshiro256** from state [s0, s1, s2, s3] (for checking against flows4j)."""
    longs = _xoshiro(state)
    return [next(longs) for _ in range(n)]


def flows4j_permutation(seed, n):
    """RandomSource.seeded(seed).permutation(n): Fisher-Yates with nextInt's rejection, exactly."""
    longs = _xoshiro(_splitmix_state(seed))
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        bound = i + 1
        while True:
            bits = next(longs) >> 33  # (int) (nextLong() >>> 33): 31 bits
            value = bits % bound
            if bits - value + (bound - 1) < (1 << 31):  # not an int overflow in Java
                break
        p[i], p[value] = p[value], p[i]
    return p


def epoch_order(seed, epoch, n):
    """ZooBatches.order: RandomSource.seeded(seed * 0x9E3779B97F4A7C15L + epoch).permutation(n)."""
    return torch.tensor(flows4j_permutation((seed * GOLDEN + epoch) & M64, n), dtype=torch.int64)


# ---- data -----------------------------------------------------------------------------------

def find_idx(data_dir, name):
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.isfile(path):
            return path
    sys.exit(f"{data_dir} has no {name} (or .gz); install dataset-fashion-mnist or give --data-dir")


def read_images(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # gzip, recognised by content as flows4j does
        data = gzip.decompress(data)
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 2051 or rows != 28 or cols != 28:
        sys.exit(f"{path}: not an IDX file of 28x28 images (magic {magic}, {rows}x{cols})")
    return torch.from_numpy(np.frombuffer(data, np.uint8, n * rows * cols, 16).reshape(n, 1, rows, cols).copy())


def load_splits(data_dir, limit, test_limit):
    """IdxImagesFactory + Splits: train the first 9/10, validation the last tenth, test t10k."""
    train_all = read_images(find_idx(data_dir, "train-images-idx3-ubyte"))
    n = train_all.shape[0]
    validation_full = max(1, n // 10)
    train_full = n - validation_full
    kept_train = train_full if limit == 0 else min(limit, train_full)

    def kept_other(size):
        if kept_train >= train_full:
            return size
        return min(size, max(1, -(-size * kept_train // train_full)))

    train = train_all[:kept_train].contiguous()
    validation = train_all[train_full:train_full + kept_other(validation_full)].contiguous()
    test = read_images(find_idx(data_dir, "t10k-images-idx3-ubyte"))
    if test_limit > 0:
        test = test[:test_limit]
    return train, validation[:MAX_VALIDATION], test.contiguous()


# ---- NICE -----------------------------------------------------------------------------------

def mlp(inp, width, depth, out, weight_init="he"):
    """flows4j Mlp.hidden(width x depth).init(...): ReLU hidden layers drawn by WeightInit (HE: W uniform
    in +-sqrt(6/fan_in), b = 0; PYTORCH: nn.Linear's default), the output layer zero-initialized."""
    layers = []
    size = inp
    for _ in range(depth):
        linear = nn.Linear(size, width)
        if weight_init == "he":
            bound = math.sqrt(6.0 / size)
            with torch.no_grad():
                linear.weight.uniform_(-bound, bound)
                linear.bias.zero_()
        layers += [linear, nn.ReLU(inplace=True)]
        size = width
    last = nn.Linear(size, out)
    nn.init.zeros_(last.weight)
    nn.init.zeros_(last.bias)
    layers.append(last)
    return nn.Sequential(*layers)


class Nice(nn.Module):
    """nice:paper. The even and odd pixels stay two strided halves through the couplings (NICE's
    oddEven masks only ever update one of them), so no gather or interleave happens per coupling."""

    def __init__(self, d=784, couplings=4, width=1000, depth=5, weight_init="he"):
        super().__init__()
        self.d = d
        self.m = nn.ModuleList(mlp(d // 2, width, depth, d // 2, weight_init) for _ in range(couplings))
        self.log_scale = nn.Parameter(torch.zeros(d))

    def _couplings(self, x):
        v = (x.reshape(x.shape[0], -1) * (1.0 / 256)).view(x.shape[0], self.d // 2, 2)
        even, odd = v[:, :, 0], v[:, :, 1]
        for i, m in enumerate(self.m):
            if i % 2 == 0:  # Masks.oddEven(d, false): even kept, odd transformed
                odd = odd + m(even)
            else:
                even = even + m(odd)
        return even, odd

    def log_prob(self, x):
        even, odd = self._couplings(x)
        s = self.log_scale.view(self.d // 2, 2)
        ze = even * s[:, 0].exp()
        zo = odd * s[:, 1].exp()
        # standard logistic: log p(z) = -z - 2 softplus(-z)
        lp = -(ze + 2 * F.softplus(-ze)).sum(1) - (zo + 2 * F.softplus(-zo)).sum(1)
        return lp + (self.log_scale.sum() - self.d * LN256)

    @torch.no_grad()
    def initialize(self, x, scaling_init="data"):
        if scaling_init != "data":
            return
        even, odd = self._couplings(x)
        h = torch.stack((even, odd), 2).reshape(x.shape[0], self.d)
        mean = h.mean(0, keepdim=True)
        std = (h - mean).square().mean(0).sqrt().clamp_min(MIN_STD)
        self.log_scale.copy_(-std.log())


# ---- RealNVP (images) -----------------------------------------------------------------------

def conv3x3(inp, out, zero=False):
    c = nn.Conv2d(inp, out, 3, padding=1)
    if zero:
        nn.init.zeros_(c.weight)
        nn.init.zeros_(c.bias)
    return c


class ResNet(nn.Module):
    """flows4j ResNet: conv_in, pre-activation blocks h + conv(relu(conv(relu h))), conv_out(relu h) = 0."""

    def __init__(self, inp, width, blocks, out):
        super().__init__()
        self.input = conv3x3(inp, width)
        self.blocks = nn.ModuleList(nn.ModuleList((conv3x3(width, width), conv3x3(width, width)))
                                    for _ in range(blocks))
        self.output = conv3x3(width, out, zero=True)

    def forward(self, x):
        h = self.input(x)
        for c1, c2 in self.blocks:
            h = h + c2(F.relu(c1(F.relu(h))))
        return self.output(F.relu(h))


class CheckerboardCoupling(nn.Module):
    """Masks.checkerboard + Coupling.affine(TANH): the conditioner sees b x, predicts s, t for all."""

    def __init__(self, c, h, w, flip, width, blocks):
        super().__init__()
        i = torch.arange(h).view(h, 1)
        j = torch.arange(w).view(1, w)
        b = (((i + j) % 2 == 0) != flip).float().view(1, 1, h, w)
        self.register_buffer("b", b)
        self.register_buffer("nb", 1 - b)
        self.c = c
        self.net = ResNet(c, width, blocks, 2 * c)

    def forward(self, x):
        hp = self.net(x * self.b)
        s = torch.tanh(hp[:, :self.c])
        y = x * s.exp() + hp[:, self.c:]
        return x * self.b + y * self.nb, (s * self.nb).sum((1, 2, 3))


class ChannelCoupling(nn.Module):
    """Masks.channelWise(c, flip) + Coupling.affine(TANH): first ceil(c/2) channels kept (flipped: the rest)."""

    def __init__(self, c, flip, width, blocks):
        super().__init__()
        k = (c + 1) // 2
        self.k = k
        self.flip = flip
        kept, moved = (c - k, k) if flip else (k, c - k)
        self.moved = moved
        self.net = ResNet(kept, width, blocks, 2 * moved)

    def forward(self, x):
        if self.flip:
            moved, kept = x[:, :self.k], x[:, self.k:]
        else:
            kept, moved = x[:, :self.k], x[:, self.k:]
        hp = self.net(kept)
        s = torch.tanh(hp[:, :self.moved])
        y = moved * s.exp() + hp[:, self.moved:]
        out = torch.cat((y, kept), 1) if self.flip else torch.cat((kept, y), 1)
        return out, s.sum((1, 2, 3))


class Squeeze(nn.Module):
    def forward(self, x):
        return squeeze(x), 0.0


class RealNvpImages(nn.Module):
    """realnvp:small (width 32, 2 blocks, 2 scales) and realnvp:paper (64, 8, 2) on [1, 28, 28]."""

    def __init__(self, shape=(1, 28, 28), width=32, blocks=2, scales=2, alpha=REALNVP_ALPHA):
        super().__init__()
        self.alpha = alpha
        self.d = shape[0] * shape[1] * shape[2]
        c, h, w = shape
        self.levels = nn.ModuleList()
        for s in range(scales):
            last = s == scales - 1
            steps = [CheckerboardCoupling(c, h, w, i % 2 == 1, width, blocks) for i in range(4 if last else 3)]
            if not last:
                steps.append(Squeeze())
                c, h, w = 4 * c, h // 2, w // 2
                steps += [ChannelCoupling(c, i % 2 == 1, width, blocks) for i in range(3)]
                c = c // 2
            self.levels.append(nn.ModuleList(steps))

    def log_prob(self, x):
        x = x * (1.0 / 256)
        a = self.alpha
        p = x * (1 - 2 * a) + a
        log_p = p.log()
        log_1mp = torch.log1p(-p)
        h = log_p - log_1mp
        log_det = (math.log1p(-2 * a) - log_p - log_1mp).flatten(1).sum(1) - self.d * LN256
        lp = 0.0
        for lvl, steps in enumerate(self.levels):
            for step in steps:
                h, ld = step(h)
                log_det = log_det + ld
            if lvl < len(self.levels) - 1:
                c = h.shape[1]
                out = h[:, c // 2:]
                lp = lp + out.square().flatten(1).sum(1)
                h = h[:, :c // 2]
        lp = lp + h.square().flatten(1).sum(1)
        return -0.5 * lp - self.d * HALF_LOG_TWO_PI + log_det

    def initialize(self, x, scaling_init=None):
        pass  # nothing data-dependent


# ---- Glow -----------------------------------------------------------------------------------

# Conv2dZeros, GlowNet and ActNorm are torch_peer's (the speed peer's), the same layers.


class InvConv1x1Lu(nn.Module):
    def __init__(self, c):
        super().__init__()
        # flows4j HostLinearAlgebra.randomOrthogonal: Gram-Schmidt of the rows of a Gaussian matrix,
        # i.e. Q of the QR of its transpose with a positive diagonal of R (a Haar draw)
        g = torch.randn(c, c, dtype=torch.float64)
        q, r = torch.linalg.qr(g.t())
        w = (q * torch.sign(torch.diagonal(r))).t()
        p, lower, upper = torch.linalg.lu(w)
        s = torch.diagonal(upper)
        self.register_buffer("p", p.float())
        self.register_buffer("sign_s", s.sign().float())
        self.register_buffer("strict_lower", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("strict_upper", torch.triu(torch.ones(c, c), 1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = nn.Parameter((lower * torch.tril(torch.ones(c, c, dtype=torch.float64), -1)).float())
        self.upper = nn.Parameter((upper * torch.triu(torch.ones(c, c, dtype=torch.float64), 1)).float())
        self.log_abs_s = nn.Parameter(s.abs().log().float())
        self.c = c

    def forward(self, x):
        lower = self.lower * self.strict_lower + self.eye
        upper = self.upper * self.strict_upper + torch.diag(self.sign_s * self.log_abs_s.exp())
        w = self.p @ lower @ upper
        return F.conv2d(x, w.view(self.c, self.c, 1, 1)), self.log_abs_s.sum() * (x.shape[2] * x.shape[3])


class GlowStep(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.actnorm = ActNorm(c)
        self.mix = InvConv1x1Lu(c)
        self.kept = (c + 1) // 2  # Masks.channelWise(c, false): the first ceil(c/2) kept
        self.moved = c - self.kept
        self.net = GlowNet(self.kept, hidden, 2 * self.moved)

    def forward(self, x):
        x, ld1 = self.actnorm(x)
        x, ld2 = self.mix(x)
        kept, moved = x[:, :self.kept], x[:, self.kept:]
        h = self.net(kept)
        s = F.logsigmoid(h[:, :self.moved] + 2.0).clamp_min(SIGMOID_MIN_LOG_SCALE)
        y = moved * s.exp() + h[:, self.moved:]
        return torch.cat((kept, y), 1), ld1 + ld2 + s.flatten(1).sum(1)


class Glow(nn.Module):
    def __init__(self, levels=2, steps=8, hidden=64, shape=(1, 28, 28)):
        super().__init__()
        c, h, w = shape
        self.d = c * h * w
        self.levels = nn.ModuleList()
        self.priors = nn.ModuleList()
        for lvl in range(levels):
            if h % 2 or w % 2:
                sys.exit(f"glow with {levels} levels needs image sides that halve {levels} times; {shape} does not")
            c, h, w = 4 * c, h // 2, w // 2
            self.levels.append(nn.ModuleList(GlowStep(c, hidden) for _ in range(steps)))
            if lvl < levels - 1:
                self.priors.append(Conv2dZeros(c - c // 2, 2 * (c // 2)))
                c = c - c // 2
        self.top_mean = nn.Parameter(torch.zeros(1, c, h, w))
        self.top_log_scale = nn.Parameter(torch.zeros(1, c, h, w))

    def _forward(self, x, init=False):
        return glow_log_prob(self, x, init)

    def log_prob(self, x):
        return self._forward(x)

    @torch.no_grad()
    def initialize(self, x, scaling_init=None):
        self._forward(x, init=True)


# ---- MAF (images) ---------------------------------------------------------------------------

class MaskedLinear(nn.Module):
    """Made.MaskedLinear: a dense layer whose weight is multiplied by a fixed 0/1 mask every call,
    unit k of the layer connected to input j when deg_out[k] >= deg_in[j] (hidden layers) or
    deg_out[k] > deg_in[j] (the output layer, strict); weights and biases U(-1/sqrt(fan_in),
    1/sqrt(fan_in)), the output layer zero-initialized (Made.Spec.zeroInitLast, the default)."""

    def __init__(self, deg_in, deg_out, strict, zero):
        super().__init__()
        bound = 1.0 / math.sqrt(deg_in.numel())
        self.weight = nn.Parameter(torch.zeros(deg_out.numel(), deg_in.numel()) if zero
                                   else torch.empty(deg_out.numel(), deg_in.numel()).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(deg_out.numel()) if zero
                                 else torch.empty(deg_out.numel()).uniform_(-bound, bound))
        connected = deg_out[:, None] > deg_in[None, :] if strict else deg_out[:, None] >= deg_in[None, :]
        self.register_buffer("mask", connected.float())

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class MadeGaussian(nn.Module):
    """Made with 2 outputs per feature over an ordering (degrees: the feature at position k of the
    ordering has degree k + 1), hidden unit k of degree k % (D - 1) + 1 (Made's rule without a
    context), ReLU between layers; MaskedAutoregressive with LocationScale.of(scale): outputs
    [mu | h], alpha = h (exp), tanh(h) or max(ln sigmoid(h + 2), -10) (sigmoid, maf:images's),
    z = (x - mu) exp(-alpha), log-det -sum alpha."""

    def __init__(self, degrees, width, depth, scale="sigmoid"):
        super().__init__()
        d = degrees.numel()
        self.scale = scale
        layers, below = [], degrees
        for _ in range(depth):
            hidden = torch.arange(width) % max(1, d - 1) + min(1, d - 1)
            layers.append(MaskedLinear(below, hidden, strict=False, zero=False))
            below = hidden
        self.hidden = nn.ModuleList(layers)
        self.out = MaskedLinear(below, degrees.repeat(2), strict=True, zero=True)
        self.d = d

    def forward(self, x):
        h = x
        for layer in self.hidden:
            h = F.relu(layer(h))
        mu, alpha = self.out(h).split(self.d, 1)
        if self.scale == "sigmoid":  # CouplingTransform.Scale.SIGMOID, Glow's: max(ln sigmoid(h + 2), -10)
            alpha = F.logsigmoid(alpha + 2).clamp(-10.0, 0.0)
        elif self.scale == "tanh":
            alpha = torch.tanh(alpha)
        return (x - mu) * torch.exp(-alpha), -alpha.sum(1)


class MafImages(nn.Module):
    """maf:images (MafFactory): pixels / 256, the logit with alpha 0.05 (as RealNVP's), flattened;
    5 MADEs of 1 hidden layer of 1024 with Glow's bounded scale (-O scale=exp for MAF's own),
    orderings natural, reversed, natural, ...; a standard normal on the 784 latents; no batch
    normalization (the preset's default)."""

    def __init__(self, d=784, transforms=5, width=1024, depth=1, scale="sigmoid", alpha=REALNVP_ALPHA):
        super().__init__()
        self.d, self.alpha = d, alpha
        natural = torch.arange(d) + 1  # Made.Ordering.natural(d).degrees()
        self.mades = nn.ModuleList(
            MadeGaussian(natural if i % 2 == 0 else natural.flip(0), width, depth, scale) for i in range(transforms))

    def log_prob(self, x):
        x = x.reshape(x.shape[0], -1) * (1.0 / 256)
        a = self.alpha
        p = x * (1 - 2 * a) + a
        log_p = p.log()
        log_1mp = torch.log1p(-p)
        h = log_p - log_1mp
        log_det = (math.log1p(-2 * a) - log_p - log_1mp).sum(1) - self.d * LN256
        for made in self.mades:
            h, ld = made(h)
            log_det = log_det + ld
        return -0.5 * h.square().sum(1) - self.d * HALF_LOG_TWO_PI + log_det

    def initialize(self, x, scaling_init=None):
        pass  # nothing data-dependent


# ---- parameter counts as flow-zoo's ModelFactoryTest derives them ----------------------------

def _conv(i, o, k):
    return o * i * k * k + o


def _mlp(i, width, depth, o):
    n, f = 0, i
    for _ in range(depth):
        n += f * width + width
        f = width
    return n + f * o + o


def _resnet(i, width, blocks, o):
    return _conv(i, width, 3) + 2 * blocks * _conv(width, width, 3) + _conv(width, o, 3)


def flows4j_parameter_count(family, cfg):
    if family == "nice":
        return cfg["couplings"] * _mlp(392, cfg["width"], cfg["depth"], 392) + 784
    if family == "realnvp":
        n, c, h = 0, 1, 28
        for s in range(cfg["scales"]):
            last = s == cfg["scales"] - 1
            n += (4 if last else 3) * _resnet(c, cfg["width"], cfg["blocks"], 2 * c)
            if not last:
                c, h = 4 * c, h // 2
                k = (c + 1) // 2
                n += 2 * _resnet(k, cfg["width"], cfg["blocks"], 2 * (c - k)) \
                    + _resnet(c - k, cfg["width"], cfg["blocks"], 2 * k)
                c //= 2
        return n
    if family == "maf":
        return cfg["transforms"] * _mlp(784, cfg["width"], cfg["depth"], 2 * 784)
    if family == "glow":
        n, ch, h, w = 0, 1, 28, 28
        for lvl in range(cfg["levels"]):
            ch, h, w = ch * 4, h // 2, w // 2
            half = ch // 2
            glow_net = _conv(ch - half, cfg["hidden"], 3) + _conv(cfg["hidden"], cfg["hidden"], 1) \
                + _conv(cfg["hidden"], 2 * half, 3) + 2 * half
            n += cfg["steps"] * (2 * ch + (2 * ch * ch + ch) + glow_net)
            if lvl < cfg["levels"] - 1:
                n += _conv(ch - half, 2 * half, 3) + 2 * half
                ch = ch - half
            else:
                n += 2 * ch * h * w
        return n
    raise ValueError(family)


PRESETS = {
    "nice:paper": {"couplings": 4, "width": 1000, "depth": 5},
    "nice:small": {"couplings": 4, "width": 256, "depth": 2},
    "realnvp:small": {"width": 32, "blocks": 2, "scales": 2},
    "realnvp:paper": {"width": 64, "blocks": 8, "scales": 2},
    "glow:small": {"levels": 2, "steps": 8, "hidden": 64},
    "glow:fmnist": {"levels": 2, "steps": 16, "hidden": 64},
    "maf:images": {"transforms": 5, "width": 1024, "depth": 1, "scale": "sigmoid"},
}


def build(args):
    """The preset with flows4j's -O KEY=VALUE overrides (and Glow's --levels/--steps-per-level/--hidden)."""
    if args.model not in PRESETS:
        sys.exit(f"unknown model {args.model}: {', '.join(PRESETS)}")
    family = args.model.split(":")[0]
    cfg = dict(PRESETS[args.model])
    overrides = dict(kv.split("=", 1) for kv in args.option)
    if family == "nice" and "scaling-init" in overrides:  # NiceFactory's option, the same as --scaling-init
        args.scaling_init = overrides.pop("scaling-init")
        if args.scaling_init not in ("data", "identity"):
            sys.exit(f"scaling-init is data or identity, got {args.scaling_init}")
    if family == "nice":  # NiceFactory's weight-init option: he (its default) or pytorch
        weight_init = overrides.pop("weight-init", "he")
        if weight_init not in ("he", "pytorch"):
            sys.exit(f"weight-init is he or pytorch, got {weight_init}")
    if family == "glow":
        for key, value in (("levels", args.levels), ("steps", args.steps_per_level), ("hidden", args.hidden)):
            if value is not None:
                overrides[key] = value
    for key, value in overrides.items():
        if key not in cfg:
            sys.exit(f"{args.model} has no option {key}; it has {', '.join(cfg)}")
        if key == "scale":
            if value not in ("exp", "tanh", "sigmoid"):
                sys.exit(f"scale is exp, tanh or sigmoid, got {value}")
            cfg[key] = value
        else:
            cfg[key] = int(value)
    if family == "nice":
        model = Nice(**cfg, weight_init=weight_init)
        args.weight_init = weight_init
    else:
        model = {"realnvp": RealNvpImages, "glow": Glow, "maf": MafImages}[family](**cfg)
    return model, family, cfg


# ---- training -------------------------------------------------------------------------------

class Schedule:
    """TrainCommand's --lr-schedule as flow-layers' ScheduleConfig computes it; t = updates done before."""

    def __init__(self, kind, lr, warmup, total_steps, budget):
        self.kind, self.lr, self.warmup, self.total, self.budget = kind, lr, warmup, total_steps, budget
        if kind == "cosine" and budget is None and total_steps <= warmup:
            sys.exit(f"--lr-schedule cosine needs --warmup below the run's total steps: the run's {total_steps} "
                     f"steps must exceed its warmupSteps {warmup}")

    def _warmup(self, w, t):
        return self.lr * min(1.0, (t + 1) / w)

    def at(self, t, elapsed):
        if self.kind == "constant":
            return self.lr
        if self.kind == "warmup":
            return self._warmup(max(1, self.warmup), t)
        if t < self.warmup:
            return self._warmup(self.warmup, t)
        if self.budget is not None:  # WarmupCosine.atFraction
            f = elapsed / self.budget
            p = min(1.0, f) if f > 0 else 0.0
        else:
            p = min(1.0, (t - self.warmup) / (self.total - self.warmup))
        return self.lr * 0.5 * (1 + math.cos(math.pi * p))


@torch.no_grad()
def evaluate(model, images, seed):
    """Evaluator.evaluate: one dequantization draw from a generator seeded afresh, batches of 256."""
    g = torch.Generator().manual_seed(seed)
    scores = []
    for start in range(0, images.shape[0], EVAL_BATCH):
        x = images[start:start + EVAL_BATCH].float()
        x.add_(torch.rand(x.shape, generator=g))
        scores.append(model.log_prob(x).double())
    log_p = torch.cat(scores)
    nll = -log_p.sum().item() / images.shape[0]
    d = images[0].numel()
    # the spread over images, as `flows4j eval --per-sample` lets one compute it: one image the model
    # scores far out moves the mean, so the median and the mean without the worst ten go beside it
    bpd = -log_p / (d * math.log(2))
    order = torch.argsort(bpd, descending=True)
    rest = bpd[order[10:]] if bpd.numel() > 10 else bpd
    return {"n": int(images.shape[0]), "nll_nats": nll - d * LN256, "bpd": nll / (d * math.log(2)),
            "median_bpd": bpd.median().item(), "mean_bpd_without_worst_10": rest.mean().item(),
            "worst": [{"index": int(i), "bpd": bpd[i].item()} for i in order[:5]]}


class Averaged:
    """Sets the parameters to their moving averages inside a with-block (Trainer.averagedWeights)."""

    def __init__(self, params, averages):
        self.params, self.averages, self.saved = params, averages, None

    def __enter__(self):
        if self.averages is not None:
            with torch.no_grad():
                self.saved = [p.detach().clone() for p in self.params]
                for p, a in zip(self.params, self.averages):
                    p.copy_(a)
        return self

    def __exit__(self, *exc):
        if self.saved is not None:
            with torch.no_grad():
                for p, s in zip(self.params, self.saved):
                    p.copy_(s)
            self.saved = None


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.processor()


DEFAULT_RECIPE = {"batch": 64, "lr": 1e-3, "lr_schedule": "warmup", "warmup": 200, "clip": 100.0, "ema": 0.0,
                  "scaling_lr_factor": 1.0}
# the presets with a recipe of their own (flow-zoo NiceFactory.recipe, GlowFactory.recipe, MafFactory.recipe)
RECIPES = {"nice:paper": {"batch": 256, "lr": 3e-3, "lr_schedule": "cosine", "warmup": 50, "clip": 100.0, "ema": 0.0,
                          "scaling_lr_factor": 100.0},
           "glow:fmnist": {"batch": 64, "lr": 1e-3, "lr_schedule": "cosine", "warmup": 200, "clip": 100.0, "ema": 0.0,
                           "scaling_lr_factor": 1.0},
           "maf:images": {"batch": 64, "lr": 3e-4, "lr_schedule": "cosine", "warmup": 200, "clip": 100.0, "ema": 0.0,
                          "scaling_lr_factor": 1.0}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-m", "--model", default="nice:paper", help=", ".join(PRESETS))
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    length = ap.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="training-time budget (training steps only)")
    length.add_argument("--steps", type=int, help="optimizer steps in all")
    length.add_argument("--epochs", type=int, help="passes over the training split (default 1)")
    ap.add_argument("--eval-every-minutes", type=float, default=None)
    ap.add_argument("--batch", type=int, default=None, help="default: the preset's recipe, 64 for most")
    ap.add_argument("--lr", type=float, default=None, help="default: the preset's recipe, 1e-3 for most")
    ap.add_argument("--lr-schedule", choices=("constant", "warmup", "cosine"), default=None,
                    help="default: the preset's recipe, warmup for most")
    ap.add_argument("--warmup", type=int, default=None, help="default: the preset's recipe, 200 for most")
    ap.add_argument("--clip", type=float, default=None, help="global gradient-norm clip; 0 off (default: 100)")
    ap.add_argument("--ema", type=float, default=None, help="moving-average decay; 0 off (default: 0)")
    ap.add_argument("--scaling-lr-factor", type=float, default=None,
                    help="NICE: the scaling layer's learning rate over the rest (flows4j --lr-factor '*.logScale=F'; "
                         "default: the preset's recipe, 100 for nice:paper, 1 otherwise)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="training images (validation shrinks in proportion)")
    ap.add_argument("--test-limit", type=int, default=0, help="first N test images (default all)")
    ap.add_argument("--scaling-init", choices=("data", "identity"), default="data",
                    help="NICE's diagonal scaling: data-initialized (default) or identity")
    ap.add_argument("--levels", type=int, default=None, help="Glow L (glow:small: 2)")
    ap.add_argument("--steps-per-level", type=int, default=None, help="Glow K (glow:small: 8)")
    ap.add_argument("--hidden", type=int, default=None, help="Glow hidden channels (glow:small: 64)")
    ap.add_argument("-O", "--option", action="append", default=[], metavar="KEY=VALUE",
                    help="override a preset's setting as flows4j's -O: nice couplings/width/depth, realnvp "
                         "width/blocks/scales, glow levels/steps/hidden, maf transforms/width/depth/scale")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--print-every", type=float, default=30.0, help="seconds of training time between progress lines")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    # flows4j's ModelFactory.recipe(preset): what `flows4j train` uses for each flag left out
    recipe = RECIPES.get(args.model, DEFAULT_RECIPE)
    for key, value in recipe.items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    if args.batch < 1 or args.warmup < 0 or not (args.lr > 0) or args.clip < 0 or not (0 <= args.ema < 1):
        sys.exit("--batch >= 1, --warmup >= 0, --lr > 0, --clip >= 0 and --ema in [0, 1), please")
    if not (0 < args.scaling_lr_factor < math.inf):
        sys.exit("--scaling-lr-factor must be finite and > 0")
    torch.set_num_threads(args.threads)
    torch.autograd.set_detect_anomaly(False)
    torch.manual_seed(args.seed)

    train, validation, test = load_splits(args.data_dir, args.limit, args.test_limit)
    n = train.shape[0]
    if args.batch > n:
        sys.exit(f"--batch {args.batch} is larger than the training split ({n} images)")
    steps_per_epoch = max(1, n // args.batch)
    budget = args.minutes * 60 if args.minutes is not None else None
    total_steps = args.steps if args.steps is not None else (
        None if budget is not None else (args.epochs or 1) * steps_per_epoch)
    eval_every = args.eval_every_minutes * 60 if args.eval_every_minutes is not None else (
        budget / 10 if budget is not None else None)
    timed = eval_every is not None

    model, family, cfg = build(args)
    params = [p for p in model.parameters() if p.requires_grad]
    count = sum(p.numel() for p in params)
    expected = flows4j_parameter_count(family, cfg)
    cpu = cpu_model()
    print(f"{args.model} {cfg}: {count:,} parameters (flows4j: {expected:,}, "
          f"{'same' if count == expected else 'DIFFERENT'}); train {n}, validation {validation.shape[0]}, "
          f"test {test.shape[0]}; {steps_per_epoch} steps per epoch")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu {cpu}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}", flush=True)
    if count != expected:
        sys.exit("parameter count differs from flows4j's")

    # data-dependent initialization on ZooBatches.initializationBatch: the first max(batch, 256) of
    # epoch 1's order, dequantized
    order = epoch_order(args.seed, 1, n)
    order_epoch = 1
    init_idx = order[:min(n, max(args.batch, MIN_INITIALIZATION))]
    noise = torch.Generator().manual_seed(args.seed * 7919 + 13)
    x0 = train.index_select(0, init_idx).float()
    x0.add_(torch.rand(x0.shape, generator=noise))
    model.initialize(x0, args.scaling_init)
    del x0

    # parameter groups, each with its factor of the schedule's rate (flows4j's LearningRateFactors)
    scaling = [p for name, p in model.named_parameters() if name == "log_scale"] if family == "nice" else []
    if args.scaling_lr_factor != 1 and not scaling:
        sys.exit("--scaling-lr-factor applies to NICE's scaling layer only")
    rest = [p for p in params if all(p is not q for q in scaling)]
    groups = [{"params": rest, "factor": 1.0}]
    if scaling:
        groups.append({"params": scaling, "factor": args.scaling_lr_factor})
    opt = torch.optim.Adam(groups, lr=args.lr, betas=(0.9, 0.999), eps=1e-8, foreach=True)
    averages = [p.detach().clone() for p in params] if args.ema > 0 else None
    schedule = Schedule(args.lr_schedule, args.lr, args.warmup, total_steps, budget)
    batch_n = min(args.batch, n)
    d = train[0].numel()

    curve = []

    def validate(step, elapsed):
        with Averaged(params, averages):
            r = evaluate(model, validation, args.seed + 1)
        curve.append({"minutes": round(elapsed / 60, 4), "step": step, "val_nll_nats": r["nll_nats"],
                      "val_bpd": r["bpd"]})
        print(f"  validation at step {step}, {elapsed / 60:.2f} min: NLL {r['nll_nats']:.2f} nats "
              f"([0,1] convention), {r['bpd']:.4f} bits/dim", flush=True)

    step = 0
    elapsed = 0.0
    next_eval = eval_every if eval_every else math.inf
    next_print = args.print_every
    window_loss, window_steps, window_time = 0.0, 0, 0.0
    while True:
        if total_steps is not None and step >= total_steps:
            break
        if budget is not None and elapsed >= budget:
            break
        epoch = step // steps_per_epoch + 1
        if epoch != order_epoch:  # untimed: see the docstring
            order = epoch_order(args.seed, epoch, n)
            order_epoch = epoch
        within = step % steps_per_epoch
        idx = order[within * args.batch:within * args.batch + batch_n]

        t0 = time.perf_counter()
        x = train.index_select(0, idx).float()
        x.add_(torch.rand(x.shape, generator=noise))
        lr = schedule.at(step, elapsed)
        for group in opt.param_groups:
            group["lr"] = lr * group["factor"]
        opt.zero_grad(set_to_none=True)
        loss = -model.log_prob(x).mean()
        loss.backward()
        value = loss.item()
        if not math.isfinite(value):
            sys.exit(f"the loss became {value} at step {step + 1}; training stopped")
        if args.clip > 0:
            grads = [p.grad for p in params if p.grad is not None]
            norm = torch.stack(torch._foreach_norm(grads)).double().square().sum().sqrt().item()
            if not math.isfinite(norm):
                sys.exit(f"the gradient norm became {norm} at step {step + 1}; training stopped")
            if norm > args.clip:
                torch._foreach_mul_(grads, args.clip / norm)
        opt.step()
        if averages is not None:
            with torch.no_grad():
                torch._foreach_mul_(averages, args.ema)
                torch._foreach_add_(averages, [p.detach() for p in params], alpha=1 - args.ema)
        step += 1
        dt = time.perf_counter() - t0
        elapsed += dt

        window_loss += value
        window_steps += 1
        window_time += dt
        last = (total_steps is not None and step >= total_steps) or (budget is not None and elapsed >= budget)
        if elapsed >= next_print or last:
            mean = window_loss / window_steps
            print(f"step {step} (epoch {epoch}), {elapsed / 60:.2f} min: train loss {mean - d * LN256:.2f} nats "
                  f"([0,1]), {mean / (d * math.log(2)):.4f} bits/dim, lr {lr:.2e}, "
                  f"{window_steps / window_time:.2f} steps/s", flush=True)
            window_loss, window_steps, window_time = 0.0, 0, 0.0
            next_print = (elapsed // args.print_every + 1) * args.print_every
        if timed:
            if not last and elapsed >= next_eval:
                validate(step, elapsed)
                next_eval = (elapsed // eval_every + 1) * eval_every
        elif step % steps_per_epoch == 0:
            validate(step, elapsed)

    if not curve or curve[-1]["step"] != step:
        validate(step, elapsed)
    with Averaged(params, averages):
        result = evaluate(model, test, args.seed + 2)
    print(f"{args.model}: {step} steps in {elapsed / 60:.2f} min of training ({step / elapsed:.2f} steps/s); "
          f"test ({result['n']} images{', averaged weights' if averages is not None else ''}): "
          f"NLL {result['nll_nats']:.2f} nats ([0,1] convention), {result['bpd']:.4f} bits/dim", flush=True)

    if args.json:
        out = {
            "model": args.model,
            "model_config": cfg,
            "recipe": {"batch": args.batch, "lr": args.lr, "lr_schedule": args.lr_schedule, "warmup": args.warmup,
                       "clip": args.clip, "ema": args.ema, "scaling_lr_factor": args.scaling_lr_factor,
                       "seed": args.seed, "minutes": args.minutes,
                       "steps": args.steps, "epochs": args.epochs if budget is None and args.steps is None else None,
                       "eval_every_minutes": eval_every / 60 if eval_every else None,
                       "scaling_init": args.scaling_init if family == "nice" else None,
                       "weight_init": getattr(args, "weight_init", None),
                       "limit": args.limit, "test_limit": args.test_limit},
            "data": {"train": n, "validation": int(validation.shape[0]), "test": int(test.shape[0])},
            "params": count,
            "steps": step,
            "train_seconds": elapsed,
            "steps_per_second": step / elapsed if elapsed > 0 else None,
            "curve": curve,
            "test": result,
            "cpu": cpu,
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        }
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
