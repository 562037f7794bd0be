"""The catalogue has stable prices with one increase on a fixed day."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from agent.demo.catalogue import PRICE_INCREASE_DATE, PRODUCTS, PRODUCTS_BY_SKU


def test_catalogue_size_and_unique_skus() -> None:
    assert 35 <= len(PRODUCTS) <= 45
    assert len(PRODUCTS_BY_SKU) == len(PRODUCTS)


def test_price_rises_once_on_the_increase_date() -> None:
    bolt = PRODUCTS_BY_SKU["VB-1001"]
    before = PRICE_INCREASE_DATE - timedelta(days=1)
    assert bolt.price_on(before - timedelta(days=400)) == bolt.price_on(before) == Decimal("18.40")
    assert bolt.price_on(PRICE_INCREASE_DATE) == Decimal("20.06")  # +9 %
    for product in PRODUCTS:
        assert product.price_on(PRICE_INCREASE_DATE) > product.price_on(before)
