"""The stream strategies written the obvious way, one frame at a time: the reference for tests and benchmarks."""
import numpy as np


def loop_n_first(scores, n, seed):
    out = []
    for f in scores.frame:
        if len(out) == n:
            break
        out.append(int(f))
    return out


def loop_uniform(scores, n, seed, p=0.1):
    draws = np.random.default_rng(seed).random(len(scores))    # the generator's draws, in stream order
    out = []
    for i, f in enumerate(scores.frame):
        if len(out) == n:
            break
        if draws[i] < p:
            out.append(int(f))
    return out


def loop_threshold(scores, n, seed, top, agg="max", q=90, warmup=720):
    s = list(scores[f"conf_{agg}"])
    warm = [x for x in s[:warmup] if x == x]
    thr = float(np.percentile(warm, q))
    out = []
    for i in range(warmup, len(s)):
        if len(out) == n:
            break
        x = s[i]
        if x == x and ((x >= thr) if top else (x <= thr)):
            out.append(int(scores.frame.iat[i]))
    return out


LOOPS = {"n_first": loop_n_first, "uniform": loop_uniform,
         "top_confidence": lambda s, n, seed, **kw: loop_threshold(s, n, seed, True, **{"q": 90, **kw}),
         "least_confidence": lambda s, n, seed, **kw: loop_threshold(s, n, seed, False, **{"q": 10, **kw})}
