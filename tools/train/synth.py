"""Synthetic time series for training (and held-out evaluation of) chronos-t5-nano.

Everything here is driven by an explicit ``numpy.random.Generator``; the same seed gives the same
series on every machine with the pinned numpy.

Families
--------
* KernelSynth-style Gaussian-process samples (the method of the Chronos paper, Ansari et al. 2024,
  section 4.2): draw 1..5 kernels from a bank of periodic (ExpSineSquared), RBF, rational quadratic,
  linear (dot product), white-noise and constant kernels, combine them with random ``+`` / ``*`` and
  draw one sample path from the zero-mean GP prior on a regular grid of ``GP_LENGTH`` points.
  Our own numpy implementation (no scikit-learn).
* Seasonal-trend series: integer period, a random harmonic or free-form seasonal shape, additive or
  multiplicative seasonality on a positive trend + random-walk level, Gaussian noise, optional
  rounding to counts. Closer to business/physical data (AirPassengers-like) than pure GP draws.
* Mixtures (TSMixup-like): convex combinations of 2..3 mean-abs-normalised series of the above.
* Parroting motifs (``random_motif``): iid uniform / normal values, a smooth GP segment, or sparse
  spikes, sometimes shifted in level; train_nano.py repeats them (with drift or noise) so that
  copying from the context pays off.
* Held-out periodic series (``periodic_eval_set``) for acceptance test 2, from a separate seed.
"""

from __future__ import annotations


import numpy as np

GP_LENGTH = 512

# ---------------------------------------------------------------------------------------------
# Gaussian-process kernels on a 1-D grid x in [0, 1]. Each function returns a (n, n) matrix.


def _dist(x: np.ndarray) -> np.ndarray:
    return np.abs(x[:, None] - x[None, :])


def k_periodic(x, period_points: float, length_scale: float = 1.0):
    p = period_points / GP_LENGTH
    s = np.sin(np.pi * _dist(x) / p)
    return np.exp(-2.0 * s * s / (length_scale**2))


def k_rbf(x, length_scale: float):
    d = _dist(x)
    return np.exp(-0.5 * (d / length_scale) ** 2)


def k_rational_quadratic(x, alpha: float, length_scale: float = 1.0):
    d = _dist(x)
    return (1.0 + d * d / (2.0 * alpha * length_scale**2)) ** (-alpha)


def k_dot(x, sigma0: float):
    return sigma0**2 + x[:, None] * x[None, :]


def k_white(x, level: float):
    return level * np.eye(len(x))


def k_const(x, value: float = 1.0):
    return np.full((len(x), len(x)), value)


PERIODS = [4, 6, 7, 10, 12, 14, 24, 26, 30, 48, 52, 60, 96, 168, 336]


def kernel_bank():
    """(name, function of x) pairs; periodic kernels are listed once per period."""
    bank = []
    for p in PERIODS:
        bank.append((f"periodic({p})", lambda x, p=p: k_periodic(x, p)))
    for s in (0.0, 1.0, 10.0):
        bank.append((f"dot({s})", lambda x, s=s: k_dot(x, s)))
    for l in (0.1, 1.0, 10.0):
        bank.append((f"rbf({l})", lambda x, l=l: k_rbf(x, l)))
    for a in (0.1, 1.0, 10.0):
        bank.append((f"rq({a})", lambda x, a=a: k_rational_quadratic(x, a)))
    for n in (0.1, 1.0):
        bank.append((f"white({n})", lambda x, n=n: k_white(x, n)))
    bank.append(("const", lambda x: k_const(x)))
    return bank


_BANK = kernel_bank()


def sample_gp(cov: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = cov.shape[0]
    jitter = 1e-6 * max(float(np.mean(np.diag(cov))), 1e-12)
    try:
        chol = np.linalg.cholesky(cov + jitter * np.eye(n))
        return chol @ rng.standard_normal(n)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        w = np.clip(w, 0.0, None)
        return v @ (np.sqrt(w) * rng.standard_normal(n))


def kernel_synth(rng: np.random.Generator, length: int = GP_LENGTH, max_kernels: int = 5):
    """One KernelSynth-style series and a readable description of its kernel."""
    x = np.linspace(0.0, 1.0, length)
    j = int(rng.integers(1, max_kernels + 1))
    picks = rng.integers(0, len(_BANK), size=j)
    name, fn = _BANK[picks[0]]
    cov = fn(x)
    for k in picks[1:]:
        n2, f2 = _BANK[k]
        if rng.random() < 0.5:
            cov = cov + f2(x)
            name = f"({name} + {n2})"
        else:
            cov = cov * f2(x)
            name = f"({name} * {n2})"
    return sample_gp(cov, rng).astype(np.float64), name


def kernel_synth_pool(n: int, seed: int, length: int = GP_LENGTH) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, length), dtype=np.float32)
    for i in range(n):
        ts, _ = kernel_synth(rng, length)
        out[i] = ts
    return out


# ---------------------------------------------------------------------------------------------
# Seasonal-trend series


def seasonal_shape(rng: np.random.Generator, period: int) -> np.ndarray:
    t = np.arange(period)
    if rng.random() < 0.6 or period < 4:
        k = int(rng.integers(1, 5))
        shape = np.zeros(period)
        for h in range(1, k + 1):
            amp = rng.normal() / h
            shape += amp * np.sin(2 * np.pi * h * t / period + rng.uniform(0, 2 * np.pi))
    else:
        # free-form: a smoothed random vector, circularly
        raw = rng.standard_normal(period)
        w = int(rng.integers(1, max(2, period // 4) + 1))
        shape = np.convolve(np.concatenate([raw[-w:], raw, raw[:w]]), np.ones(2 * w + 1) / (2 * w + 1), "same")[w:-w]
    shape = shape - shape.mean()
    sd = shape.std()
    return shape / sd if sd > 0 else shape


def seasonal_trend(rng: np.random.Generator, length: int, period: int | None = None) -> np.ndarray:
    if period is None:
        period = int(rng.choice([4, 5, 7, 7, 12, 12, 12, 24, 24, 30, 52, int(rng.integers(3, 65))]))
    t = np.arange(length, dtype=np.float64)
    shape = seasonal_shape(rng, period)
    phase = int(rng.integers(0, period))
    season = shape[(t.astype(int) + phase) % period]
    level0 = rng.uniform(1.0, 10.0)
    slope = rng.normal(0, 1.0) * level0 / length * rng.choice([0.0, 1.0, 3.0])
    rw_sd = rng.choice([0.0, 0.0, 0.01, 0.03]) * level0
    level = level0 + slope * t + np.cumsum(rng.normal(0, 1, length)) * rw_sd
    amp = rng.uniform(0.05, 0.6) * level0
    if rng.random() < 0.4:  # multiplicative: the seasonal swing grows with the level
        y = level * (1.0 + amp / level0 * season)
    else:
        y = level + amp * season
    noise = rng.choice([0.0, 0.02, 0.05, 0.1, 0.2]) * amp
    y = y + rng.normal(0, 1, length) * noise
    if rng.random() < 0.15:
        y = np.round(np.maximum(y, 0) * rng.choice([1.0, 10.0]))
    return y


# ---------------------------------------------------------------------------------------------
# Parroting motifs (train_nano.py repeats them, with drift or noise)


def random_motif(rng: np.random.Generator, period: int, pool: np.ndarray | None,
           iid_only: bool = False) -> tuple[np.ndarray, str]:
    u = rng.random() * (0.65 if iid_only else 1.0)
    if u < 0.40:
        m, kind = rng.uniform(-1.0, 1.0, period), "uniform"
    elif u < 0.65:
        m, kind = rng.standard_normal(period), "normal"
    elif u < 0.85 and pool is not None and period <= pool.shape[1]:
        row = pool[int(rng.integers(0, len(pool)))]
        s = int(rng.integers(0, pool.shape[1] - period + 1))
        m, kind = row[s : s + period].astype(np.float64), "gp-segment"
        if m.std() > 0:
            m = (m - m.mean()) / m.std()
    else:
        m = np.zeros(period)
        nspk = int(rng.integers(1, max(2, period // 3) + 1))
        m[rng.choice(period, nspk, replace=False)] = rng.exponential(1.0, nspk) + 0.2
        kind = "spikes"
    if rng.random() < 0.3:  # shift the values: tokens land in another part of the vocabulary
        m = m + rng.uniform(-3.0, 3.0)
    return m, kind


# ---------------------------------------------------------------------------------------------
# Realistic examples (windows of GP / seasonal / mixture series)


def _normalised(y: np.ndarray) -> np.ndarray:
    s = np.mean(np.abs(y))
    return y / s if s > 0 else y


def realistic(
    rng: np.random.Generator,
    ctx_len: int,
    prediction_length: int,
    pool: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    total = ctx_len + prediction_length

    def one() -> np.ndarray:
        if rng.random() < 0.6 and total <= pool.shape[1]:
            row = pool[int(rng.integers(0, len(pool)))].astype(np.float64)
            s = int(rng.integers(0, pool.shape[1] - total + 1))
            return row[s : s + total]
        return seasonal_trend(rng, total)

    u = rng.random()
    if u < 0.3:  # TSMixup-style convex mixture
        k = int(rng.integers(2, 4))
        w = rng.dirichlet(np.ones(k))
        y = sum(wi * _normalised(one()) for wi in w)
    else:
        y = one()
    if rng.random() < 0.3:  # GP draws are zero-mean; real series often are not
        y = y + rng.uniform(0.0, 3.0) * np.mean(np.abs(y)) * rng.choice([-1.0, 1.0])
    return y[:ctx_len], y[ctx_len:]


# ---------------------------------------------------------------------------------------------
# Held-out evaluation sets


def periodic_eval_set(n: int, seed: int, context_length: int, prediction_length: int):
    """Held-out periodic series for acceptance test 2: list of (context, future, period).

    y_t = level + amp * shape[(t + phase) mod period] + noise, with a random seasonal shape
    (harmonics or free-form), period in {7, 12, 24, U(4..48)} and noise sd 5..30 % of amp.
    Drawn from its own seed, never seen in training (training uses other seeds and adds
    trends / random walks / mixtures on top).
    """
    rng = np.random.default_rng(seed)
    out = []
    total = context_length + prediction_length
    for _ in range(n):
        period = int(rng.choice([7, 12, 24, int(rng.integers(4, 49))]))
        shape = seasonal_shape(rng, period)
        phase = int(rng.integers(0, period))
        t = np.arange(total)
        amp = rng.uniform(0.5, 2.0)
        level = rng.uniform(0.0, 5.0)
        y = level + amp * shape[(t + phase) % period] + rng.normal(0, 1, total) * amp * rng.uniform(0.05, 0.3)
        out.append((y[:context_length], y[context_length:], period))
    return out
