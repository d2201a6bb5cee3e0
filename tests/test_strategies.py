"""Strategies: the vectorised rules equal the per-frame loops; properties every strategy must keep."""
import warnings

import numpy as np
import pandas as pd
import pytest

from sbad_nb.core import ConfigError, DataError
from sbad_nb.strategies import STRATEGIES, ShortSelection, select
from strategy_loops import LOOPS, authors_selection, bank_scores, write_bank

NEEDS_FEATURES = {"kcenter_greedy", "kmeans_diverse", "farthest_first_confident"}
THRESHOLDED = {"top_confidence", "least_confidence", "farthest_first_confident"}


def table(n, seed=0, empty=0.2):
    rng = np.random.default_rng(seed)
    nb = np.where(rng.random(n) < empty, 0, rng.integers(1, 6, n))
    c = np.where(nb > 0, rng.choice(np.round(np.linspace(0.1, 0.95, 18), 2), n), np.nan)   # many ties
    return pd.DataFrame({"frame": np.arange(100, 100 + n), "n_boxes": nb, "conf_max": c, "conf_min": c / 2,
                         "conf_mean": c * 0.75, "conf_sum": c * nb})


def kwargs(name, n_rows, seed=0):
    kw = {}
    if name in NEEDS_FEATURES:
        kw["features"] = np.random.default_rng(seed).normal(size=(n_rows, 6))
    if name in THRESHOLDED:
        kw["warmup"] = n_rows // 4
    if name == "mix":
        kw["a_params"] = {"warmup": n_rows // 4}
    return kw


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("name", list(LOOPS))
def test_stream_rules_equal_the_loops(name, seed):
    sc = table(400, seed)
    n = [5, 37, 400][seed % 3]
    kw = {"warmup": 60, "agg": ["max", "min", "mean", "sum"][seed % 4]} if name in THRESHOLDED else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSelection)
        got = select(name, sc, n, seed=seed, **kw)
    assert got.tolist() == LOOPS[name](sc, n, seed, **kw)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_every_strategy_is_deterministic_unique_and_sized(name):
    sc = table(300, 1)
    kw = kwargs(name, len(sc))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSelection)
        a = select(name, sc, 25, seed=7, **kw)
        b = select(name, sc, 25, seed=7, **kw)
        c = select(name, sc, 25, seed=8, **kw)
    assert a.tolist() == b.tolist()
    assert len(a) == len(set(a)) and (np.diff(a) > 0).all() and set(a) <= set(sc.frame)
    if STRATEGIES[name].kind == "pool":
        assert len(a) == 25
    if name in ("random", "uniform", "kcenter_greedy", "kmeans_diverse"):
        assert a.tolist() != c.tolist()                   # the seed matters where chance does


@pytest.mark.parametrize("name", ["random", "least_confidence_pool", "margin", "entropy", "object_frequency",
                                  "kcenter_greedy", "kmeans_diverse"])
def test_pool_strategies_take_the_whole_eligible_pool(name):
    sc = table(40, 2, empty=0.0)
    got = select(name, sc, 40, **kwargs(name, 40))
    assert got.tolist() == sc.frame.tolist()
    with pytest.raises(ConfigError, match="lower n"):
        select(name, sc, 41, **kwargs(name, 40))


def test_all_nan_scores():
    sc = table(50, 0, empty=1.0)
    assert sc.conf_max.isna().all()
    with pytest.raises(DataError, match="no frame of the 10-frame warm-up has a box"):
        select("top_confidence", sc, 5, warmup=10)
    with pytest.raises(ConfigError, match="only 0 frames are eligible"):
        select("entropy", sc, 1)
    assert len(select("random", sc, 5)) == 5 and len(select("n_first", sc, 5)) == 5


def test_stream_short_warns():
    sc = table(100, 3)
    with pytest.warns(ShortSelection, match=r"ended after \d+ of 90 frames"):
        got = select("top_confidence", sc, 90, warmup=20)
    assert 0 < len(got) < 90


def test_bad_inputs():
    sc = table(30)
    with pytest.raises(ConfigError, match="unknown strategy 'topconf'; choose one of: n_first, uniform, top_confidence"):
        select("topconf", sc, 3)
    with pytest.raises(ConfigError, match="non-negative integer"):
        select("random", sc, 2.5)
    with pytest.raises(DataError, match=r"lacks column\(s\) \['n_boxes'\]"):
        select("random", sc.drop(columns="n_boxes"), 3)
    with pytest.raises(DataError, match="features has shape"):
        select("kcenter_greedy", sc, 3, features=np.zeros((29, 4)))
    with pytest.raises(DataError, match="NaN or infinite"):
        select("kmeans_diverse", sc, 3, features=np.full((30, 4), np.nan))
    with pytest.raises(DataError, match="not shorter than the stream"):
        select("least_confidence", sc, 3, warmup=30)
    with pytest.raises(ConfigError, match="agg must be one of max, min, mean, sum"):
        select("top_confidence", sc, 3, warmup=5, agg="median")
    with pytest.raises(ConfigError, match="mix: unknown strategy 'best'"):
        select("mix", sc, 4, a="best")


def test_kcenter_covers_clusters():
    "Five tight, far-apart clusters: k-center with k=5 takes one frame from each."
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 100, (5, 16))
    X = np.repeat(centres, 40, 0) + rng.normal(0, 0.1, (200, 16))
    got = select("kcenter_greedy", table(200, 0), 5, features=X)
    assert sorted((got - 100) // 40) == [0, 1, 2, 3, 4]
    lab = select("kcenter_greedy", table(200, 0), 1, features=X, labelled=[100, 140, 180, 220])
    assert (lab[0] - 100) // 40 == 4                       # the one cluster not yet labelled


def test_kcenter_on_wide_features_uses_pca_and_still_covers_clusters():
    rng = np.random.default_rng(1)
    X = np.repeat(rng.normal(0, 50, (6, 300)), 30, 0) + rng.normal(0, 0.5, (180, 300))
    sc = table(180, 0)
    for dims in (64, None):
        got = select("kcenter_greedy", sc, 6, seed=2, features=X, dims=dims)
        assert sorted((got - 100) // 30) == [0, 1, 2, 3, 4, 5], dims
    assert select("kcenter_greedy", sc, 6, seed=2, features=X).tolist() == select("kcenter_greedy", sc, 6, seed=2, features=X).tolist()


@pytest.mark.parametrize("seed", range(5))
def test_gamma_one_is_top_confidence_and_gamma_widens_the_candidates(seed):
    sc = table(400, seed)
    feat = np.random.default_rng(seed).normal(size=(400, 6))
    for n in (5, 20):
        top = select("top_confidence", sc, n, seed=seed, warmup=100)
        assert list(select("farthest_first_confident_g1", sc, n, seed=seed, features=feat, warmup=100)) == list(top)
        with warnings.catch_warnings():                          # 2 x 20 confident frames are more than some streams hold
            warnings.simplefilter("ignore", ShortSelection)
            first = set(select("top_confidence", sc, 2 * n, seed=seed, warmup=100))
            assert set(select("farthest_first_confident_g2", sc, n, seed=seed, features=feat, warmup=100)) <= first


def test_gamma_beyond_the_stream_warns_and_still_selects():
    sc, feat = table(200, 1), np.random.default_rng(1).normal(size=(200, 6))
    with pytest.warns(ShortSelection, match=r"candidates \(gamma 50 x 10 frames\)"):
        got = select("farthest_first_confident_g50", sc, 10, features=feat, warmup=50)
    assert len(got) == 10
    with pytest.raises(ConfigError, match="unknown strategy 'uniform_g2'"):
        select("uniform_g2", sc, 3)


@pytest.mark.parametrize("empty", [0.0, 0.2, 0.5])
def test_authors_rules_select_the_authors_frames(empty, tmp_path):
    "The paper profile's rules against the CSBAD code's, written from its description, on banks with empty frames."
    folder = write_bank(tmp_path / "labels", 3000, empty, seed=int(empty * 10))
    scores = bank_scores(folder)
    assert abs((scores.n_boxes == 0).mean() - empty) < 0.03
    compared = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ShortSelection)          # 250 confident frames are more than a half-empty bank holds
        for n in (25, 100, 250):
            assert select("n_first", scores, n).tolist() == authors_selection(folder, n, "n_first")
            for seed in (0, 1, 2):
                got = select("uniform", scores, n, seed=seed, p=0.1, rule="authors")
                assert got.tolist() == authors_selection(folder, n, "uniform", rate=0.1, seed=seed)
            for name in ("top_confidence", "least_confidence"):
                for agg in ("max", "mean"):
                    got = select(name, scores, n, warmup=720, agg=agg, rule="authors")
                    assert got.tolist() == authors_selection(folder, n, name, agg=agg, warmup=720), (name, agg, n)
                    compared += len(got)
    assert compared > 0
