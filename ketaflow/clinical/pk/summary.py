"""Exact summaries of a population's curves: percentiles per time point, Cmax, Tmax, AUC.

Percentiles are NumPy's default ("linear", Hyndman & Fan type 7), taken from exact order
statistics found by selection (`partition`), not by sorting: only the two order statistics
around each requested rank are needed, which is O(N) per time point.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
PERCENTILES = (5.0, 50.0, 95.0)


@dataclass(frozen=True)
class Distribution:
    """5th, 50th and 95th percentiles and the mean of one per-patient quantity."""

    p5: float
    p50: float
    p95: float
    mean: float

    @classmethod
    def of(cls, values: FloatArray) -> Distribution:
        p5, p50, p95 = np.percentile(values, PERCENTILES)
        return cls(float(p5), float(p50), float(p95), float(np.mean(values)))


def percentiles_inplace(
    matrix: FloatArray, qs: tuple[float, ...] = PERCENTILES, *, threads: int = 1
) -> FloatArray:
    """Percentiles (len(qs), T) of each row of a (T, N) matrix, which is reordered in place.

    One selection per percentile finds the lower order statistic x(lo); the upper one,
    x(lo+1), is then the minimum of the segment just right of lo, which a scan finds faster
    than a second selection.
    """
    t, n = matrix.shape
    hs = [(n - 1) * q / 100.0 for q in qs]
    los = [int(np.floor(h)) for h in hs]
    kth = sorted(set(los))

    def select(rows: slice) -> None:
        matrix[rows].partition(kth, axis=1)

    if threads > 1 and t > 1:
        edges = np.linspace(0, t, threads + 1).astype(int)
        parts = [slice(a, b) for a, b in itertools.pairwise(edges)]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(select, parts))
    else:
        select(slice(None))
    out = np.empty((len(qs), t))
    for i, (h, lo) in enumerate(zip(hs, los, strict=True)):
        frac = h - lo
        low = matrix[:, lo]
        if frac == 0.0 or lo + 1 >= n:
            out[i] = low
            continue
        nxt = [k for k in kth if k > lo]
        end = nxt[0] + 1 if nxt else n
        high = matrix[:, lo + 1 : end].min(axis=1)
        out[i] = low + frac * (high - low)
    return out


@dataclass
class Exposure:
    """Running per-patient Cmax, Tmax and AUC (trapezoids over the sampled times)."""

    cmax: FloatArray
    tmax: FloatArray
    auc: FloatArray
    last: FloatArray | None = None
    last_time: float | None = None

    @classmethod
    def empty(cls, n: int) -> Exposure:
        return cls(np.full(n, -np.inf), np.zeros(n), np.zeros(n))

    def update(self, block: FloatArray, times: FloatArray, cols: slice) -> None:
        """Fold in rows `block` (T_b, n_cols) sampled at `times` for patients `cols`.

        Row by row with masks: argmax down a (time × patient) block would copy it transposed.
        """
        cmax, tmax = self.cmax[cols].copy(), self.tmax[cols].copy()
        better = np.empty(cmax.shape, dtype=bool)
        for k in range(block.shape[0]):
            row = block[k]
            np.greater(row, cmax, out=better)
            np.copyto(cmax, row, where=better)
            np.copyto(tmax, times[k], where=better)
        self.cmax[cols], self.tmax[cols] = cmax, tmax
        if times.size > 1:
            dt = np.diff(times)
            weights = np.zeros(times.size)
            weights[:-1] += 0.5 * dt
            weights[1:] += 0.5 * dt
            self.auc[cols] += weights @ block

    def join(self, first_row: FloatArray, first_time: float) -> None:
        """Add the trapezoid between the previous block's last row and this block's first."""
        if self.last is not None and self.last_time is not None:
            self.auc += 0.5 * (first_time - self.last_time) * (self.last + first_row)
