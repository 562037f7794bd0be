"""The BG/NBD and Gamma-Gamma implementation: published values, parameter recovery, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from agent.plan.clv import ClvModel, FitRefused, Histories, fit

# The parameters Fader, Hardie and Lee (2005) report for the CDNOW sample (weeks),
# and a Gamma-Gamma model; the reference values below are theirs and lifetimes 0.11.3's.
CDNOW = ClvModel(r=0.243, alpha=4.414, a=0.793, b=2.426, p=6.25, q=3.74, gamma=15.44)


def one(x: float, t_x: float, big_t: float, spend: float = 0.0) -> Histories:
    return Histories(np.array([x]), np.array([t_x]), np.array([big_t]), np.array([spend]))


def simulate(n: int, seed: int = 7) -> Histories:
    """Customers drawn from BG/NBD (r=0.5, alpha=10, a=0.6, b=2.5) and Gamma-Gamma spend."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.5, 10.0, 0.6, 2.5
    big_t = rng.uniform(30, 100, n)
    rates = rng.gamma(r, 1 / alpha, n)
    dropout = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rates[i])
            if t > big_t[i]:
                break
            x[i] += 1
            t_x[i] = t
            if rng.random() < dropout[i]:
                break
    # Spend: each customer's mean purchase value nu ~ Gamma(q=4, rate gamma=300),
    # purchases ~ Gamma(p=3, rate nu); the population mean is p * gamma / (q - 1) = 300.
    nu = rng.gamma(4.0, 1 / 300.0, n)
    spend = np.array([rng.gamma(3.0, 1 / nu[i], int(x[i]) + 1).mean() for i in range(n)])
    return Histories(x, t_x, big_t, spend)


def test_expected_purchases_match_the_published_cdnow_example() -> None:
    # The paper's worked example: x = 2, t_x = 30.43, T = 38.86 weeks -> 1.226 in 39 weeks.
    assert CDNOW.expected_purchases(one(2, 30.43, 38.86), 39)[0] == pytest.approx(1.226, abs=5e-4)
    assert CDNOW.expected_purchases(one(0, 0, 38.86), 39)[0] == pytest.approx(0.19510, abs=1e-4)


def test_p_alive_matches_lifetimes() -> None:
    assert CDNOW.p_alive(one(2, 30.43, 38.86))[0] == pytest.approx(0.72658, abs=1e-4)
    assert CDNOW.p_alive(one(5, 10, 38.86))[0] == pytest.approx(0.024804, abs=1e-5)
    # Without a repeat purchase nobody has dropped out yet (BG/NBD drops after a purchase).
    assert CDNOW.p_alive(one(0, 0, 38.86))[0] == 1.0


def test_spend_per_purchase_matches_lifetimes() -> None:
    # lifetimes' conditional_expected_average_profit for frequency 1, 2, 10 (the first
    # purchase counts here, so 1 repeat = 2 purchases would be frequency 2 there).
    h = Histories(np.zeros(3), np.zeros(3), np.ones(3), np.array([20.0, 35.0, 50.0]))
    h = Histories(np.array([0.0, 1.0, 9.0]), h.t_x, h.T, h.spend)
    expected = [24.63849, 35.03937, 49.37922]
    assert CDNOW.spend_per_purchase(h) == pytest.approx(expected, abs=1e-4)


def test_return_probability_is_a_probability_that_grows_with_the_window() -> None:
    h = Histories(
        np.array([0.0, 1.0, 5.0, 30.0]),
        np.array([0.0, 5.0, 20.0, 38.0]),
        np.array([38.86, 38.86, 38.86, 38.86]),
        np.ones(4),
    )
    short, long = CDNOW.p_return(h, 4), CDNOW.p_return(h, 52)
    assert np.all((short >= 0) & (short <= 1)) and np.all((long >= 0) & (long <= 1))
    assert np.all(long >= short)
    # Never above the chance of still being alive.
    assert np.all(long <= CDNOW.p_alive(h) + 1e-12)


def test_expected_purchases_fall_back_to_the_nbd_limit_without_dropout() -> None:
    # a -> 0: no dropout; the hypergeometric form is unstable there, the NBD one exact.
    model = ClvModel(r=0.7, alpha=60.0, a=1e-9, b=200.0, p=3.0, q=3.0, gamma=300.0)
    h = one(3, 100, 180)
    nbd = (0.7 + 3) / (60 + 180) * 365
    assert model.expected_purchases(h, 365)[0] == pytest.approx(nbd, rel=1e-3)


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    h = simulate(2000)
    model = fit(h)
    assert model.r == pytest.approx(0.5, rel=0.2)
    assert model.alpha == pytest.approx(10.0, rel=0.25)
    # The dropout mixture is known to be estimated loosely; its mean a / (a + b) less so.
    assert model.a / (model.a + model.b) == pytest.approx(0.6 / 3.1, rel=0.3)
    assert model.p * model.gamma / (model.q - 1) == pytest.approx(300.0, rel=0.15)


@pytest.mark.parametrize(
    ("histories", "reason"),
    [
        (Histories(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0)), "0 customers"),
        # A new tenant: many customers, each with one order.
        (Histories(np.zeros(500), np.zeros(500), np.full(500, 90.0), np.full(500, 80.0)), "0 of"),
        (simulate(20), "20 customers"),
    ],
)
def test_too_little_history_is_refused_with_the_reason(histories: Histories, reason: str) -> None:
    with pytest.raises(FitRefused, match=reason):
        fit(histories)


def test_no_positive_spend_is_refused() -> None:
    h = simulate(300)
    with pytest.raises(FitRefused, match="positive net spend"):
        fit(Histories(h.x, h.t_x, h.T, np.zeros(len(h))))


def test_identical_customers_do_not_give_a_silent_nonsense_fit() -> None:
    # Everyone bought on the same two days: no heterogeneity to estimate. Either the fit
    # is refused, or whatever it returns gives finite probabilities and values.
    n = 200
    h = Histories(np.ones(n), np.full(n, 10.0), np.full(n, 100.0), np.full(n, 50.0))
    try:
        model = fit(h)
    except FitRefused:
        return
    for values in (model.p_return(h, 365), model.expected_revenue(h, 365)):
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
