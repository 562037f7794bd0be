"""Customer lifetime value: a BG/NBD purchase model with Gamma-Gamma spend, fitted by us.

Two standard "buy till you die" models (Fader, Hardie and Lee 2005) answer
the two questions the plan asks about a lapsed customer:

* **BG/NBD** — from how often a customer bought (``x`` repeat purchase days),
  when they last bought (``t_x`` days after the first) and how long we have
  known them (``T`` days), the chance they are still "alive" and how many
  purchases to expect in the next ``t`` days. Four parameters ``r, alpha,
  a, b`` are fitted by maximum likelihood over all customers of the tenant.
* **Gamma-Gamma** — the expected value of one purchase, the customer's own
  average shrunk towards the tenant's average by how many purchases it rests
  on (parameters ``p, q, gamma``).

Why our own ~200 lines instead of a library (measured on 4,372 customers of
UCI Online Retail, numpy 2.4, scipy 1.17): ``lifetimes`` 0.11.3 installs and
fits in 0.1 s but was last released in 2020, pulls pandas, autograd and dill,
and its modified BG/NBD raised ``ConvergenceError`` on the same data where
the plain models converge; ``btyd`` is a 2022 beta; PyMC-Marketing is
maintained but its environment weighs 790 MB, needs a C compiler at run time
and took 28 s for a MAP fit. These models are closed-form likelihoods: scipy
fits them in well under a second and the tests pin the implementation
against simulated customers with known parameters.

One deliberate deviation from the textbook Gamma-Gamma: the first purchase
counts towards the customer's average spend. Most lapsed B2B customers
bought once or twice; on repeat purchases alone all of them would get the
same (population) spend, and the ranking would lose its best signal.

Time is measured in days; a purchase is a calendar day with at least one
non-cancelled order (several invoices on one day are one purchase).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

Array = NDArray[np.float64]

#: Fewer customers than this, or fewer repeat buyers, is "too little history to fit".
MIN_CUSTOMERS = 30
MIN_REPEAT_CUSTOMERS = 10
# Log-parameter bounds of the optimiser. A parameter may run to a bound where the
# data show a limiting case, which the formulas handle: ``a`` to its lower bound
# when no dropout is visible (BG/NBD becomes NBD), ``r`` and ``alpha`` upwards when
# all customers buy at much the same pace, ``p`` upwards when each customer spends
# about the same every time (the expected spend becomes the customer's own average).
# Only a purchase rate stuck at the *lower* bound leaves nothing to predict with.
_LOG_BOUNDS_BGNBD = [(-10.0, 10.0), (-10.0, 15.0), (-20.0, 10.0), (-20.0, 15.0)]
_LOG_BOUNDS_GG = [(-10.0, 10.0), (-10.0, 10.0), (-10.0, 20.0)]
_AT_BOUND = 1e-3
#: The sanity check of a fit predicts this far ahead (days).
_CHECK_DAYS = 365.0


class FitRefused(Exception):
    """The history is too thin or too odd for the models; the message says why."""


@dataclass(frozen=True)
class Histories:
    """Per-customer purchase summaries as parallel arrays (one entry per customer).

    ``x`` repeat purchase days, ``t_x`` days from the first to the last
    purchase, ``T`` days from the first purchase to the as-of day,
    ``purchases`` purchase days (``x + 1``) and ``spend`` the average net
    revenue per purchase day (0 when cancellations ate it all).
    """

    x: Array
    t_x: Array
    T: Array
    spend: Array

    @property
    def purchases(self) -> Array:
        return self.x + 1.0

    def __len__(self) -> int:
        return len(self.x)

    def take(self, index: NDArray[np.intp]) -> Histories:
        """The customers at ``index``."""
        return Histories(self.x[index], self.t_x[index], self.T[index], self.spend[index])


@dataclass(frozen=True)
class ClvModel:
    """Fitted BG/NBD (``r, alpha, a, b``) and Gamma-Gamma (``p, q, gamma``) parameters."""

    r: float
    alpha: float
    a: float
    b: float
    p: float
    q: float
    gamma: float

    def params(self) -> dict[str, float]:
        """The parameters, rounded for display and JSON."""
        return {k: float(f"{v:.6g}") for k, v in self.__dict__.items()}

    def p_alive(self, h: Histories) -> Array:
        """Chance that each customer has not dropped out yet."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        log_ratio = (
            np.log(a)
            - np.log(np.maximum(b + h.x - 1.0, 1e-300))
            + (r + h.x) * (np.log(alpha + h.T) - np.log(alpha + h.t_x))
        )
        # Customers without a repeat purchase cannot have dropped out (BG/NBD drops
        # out only right after a purchase); exp of a huge log ratio is 0 alive.
        ratio = np.where(h.x > 0, np.exp(np.minimum(log_ratio, 700.0)), 0.0)
        return np.asarray(1.0 / (1.0 + ratio), dtype=np.float64)

    def p_return(self, h: Histories, days: float) -> Array:
        """Chance of at least one purchase within the next ``days`` days.

        Alive, the customer buys at a rate whose posterior is Gamma(r + x,
        alpha + T), so no purchase in ``days`` has chance
        ``((alpha + T) / (alpha + T + days)) ** (r + x)``.
        """
        none = np.exp((self.r + h.x) * (np.log(self.alpha + h.T) - np.log(self.alpha + h.T + days)))
        return np.asarray(self.p_alive(h) * (1.0 - none), dtype=np.float64)

    def expected_purchases(self, h: Histories, days: float) -> Array:
        """Expected purchases within the next ``days`` days (BG/NBD conditional expectation)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, big_t = h.x, h.T
        z = days / (alpha + big_t + days)
        with np.errstate(all="ignore"):
            hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z)
            head = (a + b + x - 1.0) / (a - 1.0)
            tail = 1.0 - ((alpha + big_t) / (alpha + big_t + days)) ** (r + x) * hyp
            exact = head * tail * self.p_alive(h)
        # Without dropout (a -> 0) the expectation is the NBD one; it is also the
        # stand-in where the hypergeometric series does not converge numerically.
        nbd = self.p_alive(h) * (r + x) / (alpha + big_t) * days
        usable = np.isfinite(exact) & (exact >= 0) & (exact <= nbd * (1 + 1e-9) + 1e-12)
        return np.asarray(np.where(usable, exact, nbd), dtype=np.float64)

    def spend_per_purchase(self, h: Histories) -> Array:
        """Expected net revenue of one purchase (Gamma-Gamma conditional mean)."""
        n = h.purchases
        return np.asarray(
            (self.gamma + np.maximum(h.spend, 0.0) * n) * self.p / (self.p * n + self.q - 1.0),
            dtype=np.float64,
        )

    def expected_revenue(self, h: Histories, days: float) -> Array:
        """Expected net revenue within the next ``days`` days."""
        return self.expected_purchases(h, days) * self.spend_per_purchase(h)


def _bgnbd_log_likelihood(log_params: Array, h: Histories) -> Array:
    r, alpha, a, b = np.exp(log_params)
    x, t_x, big_t = h.x, h.t_x, h.T
    part1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    part2 = betaln(a, b + x) - betaln(a, b)
    part3 = -(r + x) * np.log(alpha + big_t)
    with np.errstate(divide="ignore"):
        part4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(part1 + part2 + np.logaddexp(part3, part4), dtype=np.float64)


def _gg_log_likelihood(log_params: Array, n: Array, m: Array) -> Array:
    p, q, gamma = np.exp(log_params)
    return np.asarray(
        gammaln(p * n + q)
        - gammaln(p * n)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * n - 1.0) * np.log(m)
        + p * n * np.log(n)
        - (p * n + q) * np.log(gamma + m * n),
        dtype=np.float64,
    )


def _minimise(
    objective: object, start: list[float], bounds: list[tuple[float, float]], what: str
) -> Array:
    result = minimize(objective, np.log(start), method="L-BFGS-B", bounds=bounds)
    if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
        raise FitRefused(f"the {what} fit did not converge to finite values")
    return np.asarray(result.x, dtype=np.float64)


def _at_lower_bound(value: float, bound: tuple[float, float]) -> bool:
    return value - bound[0] < _AT_BOUND


def fit(h: Histories) -> ClvModel:
    """Fit both models to ``h``; raise :class:`FitRefused` rather than return nonsense.

    Refused: fewer than :data:`MIN_CUSTOMERS` customers or
    :data:`MIN_REPEAT_CUSTOMERS` repeat buyers (a new tenant, one order per
    customer), an optimiser that ends on non-finite values, a purchase rate
    (``r``, ``alpha``) at its lower bound, a spend model without a finite
    mean (``q <= 1``), and any fit whose predictions for these customers are
    not finite probabilities and non-negative amounts.
    """
    repeat = int(np.sum(h.x > 0))
    if len(h) < MIN_CUSTOMERS or repeat < MIN_REPEAT_CUSTOMERS:
        raise FitRefused(
            f"{len(h)} customers, {repeat} of them with a repeat purchase "
            f"(the model needs at least {MIN_CUSTOMERS} and {MIN_REPEAT_CUSTOMERS})"
        )
    scale = float(np.mean(h.T)) or 1.0

    def nll(log_params: Array) -> float:
        return float(-np.mean(_bgnbd_log_likelihood(log_params, h)))

    bg = _minimise(nll, [1.0, scale, 1.0, 1.0], _LOG_BOUNDS_BGNBD, "purchase model")
    if _at_lower_bound(bg[0], _LOG_BOUNDS_BGNBD[0]) or _at_lower_bound(bg[1], _LOG_BOUNDS_BGNBD[1]):
        raise FitRefused("the purchase rate could not be estimated from this history")

    positive = h.spend > 0
    if int(np.sum(positive)) < MIN_REPEAT_CUSTOMERS:
        raise FitRefused("too few customers with a positive net spend for the spend model")
    n, m = h.purchases[positive], h.spend[positive]

    def gg_nll(log_params: Array) -> float:
        return float(-np.mean(_gg_log_likelihood(log_params, n, m)))

    gg = _minimise(gg_nll, [1.0, 2.0, float(np.mean(m))], _LOG_BOUNDS_GG, "spend model")
    p, q, gamma = (float(v) for v in np.exp(gg))
    if q <= 1.0:
        raise FitRefused(f"the spend model has no finite mean (q = {q:.3g} <= 1)")
    r, alpha, a, b = (float(v) for v in np.exp(bg))
    model = ClvModel(r=r, alpha=alpha, a=a, b=b, p=p, q=q, gamma=gamma)
    chance, revenue = model.p_return(h, _CHECK_DAYS), model.expected_revenue(h, _CHECK_DAYS)
    if not (
        np.all(np.isfinite(chance))
        and np.all((chance >= 0) & (chance <= 1))
        and np.all(np.isfinite(revenue))
        and np.all(revenue >= 0)
    ):
        raise FitRefused("the fitted models give no finite predictions for these customers")
    return model
