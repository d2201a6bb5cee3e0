"""How readable the codebase is at a git revision: repeated idioms, cell and line sizes, docments, tests, parameters.

Usage: `.venv/bin/python benchmarks/codebase.py [REV ...]` (default: HEAD and the working tree, "worktree").
Prints one column per revision and writes benchmarks/results/codebase.csv (one row per revision). Standard library only.
"""
import ast, csv, io, json, os, re, subprocess, sys, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "codebase.csv"
EXPORT = re.compile(r"#\s*\|\s*export[is]?\b")           # nbdev's export directives (export, exporti, exports)
UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")
PATTERNS = {                                              # figure -> regex over sbad_nb/*.py (without _modidx.py)
    "profile_if_str": r"get_profile\(([\w.]+)\) if isinstance\(\1, str\) else \1\b",
    "cam_removeprefix": r"int\(str\([^()]*\)\.removeprefix\([\"']cam[\"']\)\)",
    "weeks_or_1": r"\.stream\.get\([\"']weeks[\"']\) or \[1\]",
    "recipe_compare": r"[=!]=\s*json\.loads\(json\.dumps\(",
    "sha256_calls": r"hashlib\.sha256\(",
}
DESIGN_API = ("core.get_profile core.seed_everything core.atomic_write data.make_synthetic_stream data.list_frames "
              "data.load_manifest data.validate_layout pseudolabel.pseudo_label bank.split_bank bank.frame_scores "
              "bank.score_frames strategies.select student.train_student student.run_sweep online_seg.confusion "
              "online_seg.pixel_accuracy online_seg.miou evaluation.coco_map evaluation.evaluate_runs "
              "csbad.cross_performance csbad.cluster_cameras reproduce.reproduce").split()


def git(*args: str) -> str:
    "Run git in the repository and return its stdout."
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def read_tree(rev: str) -> dict:
    "Map path -> text of the modules and notebooks at `rev` (`worktree`: the files on disk)."
    if rev == "worktree": paths = git("ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    else: paths = git("ls-tree", "-r", "--name-only", rev).splitlines()
    keep = [p for p in paths if re.fullmatch(r"sbad_nb/[^/]+\.py|nbs/[^/]+\.ipynb", p) and p != "sbad_nb/_modidx.py"]
    if rev == "worktree": return {p: (ROOT / p).read_text() for p in keep if (ROOT / p).is_file()}
    return {p: git("show", f"{rev}:{p}") for p in keep}


def name_of(call: ast.AST) -> str:
    "The called function's name (`f` for `f(...)` and `m.f(...)`), else ''."
    f = getattr(call, "func", None)
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def calls(tree: ast.AST, name: str) -> list:
    "The calls of a function named `name` in `tree`."
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and name_of(n) == name]


def parse_cell(src: str):
    "Parse a notebook cell with its `%` magics and `!` shell lines removed; None if it still fails."
    try: return ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
    except SyntaxError: return None


def lock_figures(mods: dict) -> dict:
    "Count `with file_lock(...)` blocks, those whose first statement re-checks `finished(`, and calls of `once(`."
    recheck = once = blocks = 0
    for tree in mods.values():
        for n in ast.walk(tree):
            if isinstance(n, ast.With) and any(name_of(i.context_expr) == "file_lock" for i in n.items):
                blocks, recheck = blocks + 1, recheck + bool(calls(n.body[0], "finished"))
        once += len(calls(tree, "once"))
    return {"file_lock_blocks": blocks, "lock_recheck": recheck, "once_calls": once}


def module_figures(texts: dict) -> dict:
    "Lines of sbad_nb/*.py, how many are over 120 characters, and the module with the largest share of them."
    per = {Path(p).stem: (len(t.splitlines()), sum(len(l) > 120 for l in t.splitlines())) for p, t in texts.items()}
    total, over = sum(n for n, _ in per.values()), sum(o for _, o in per.values())
    worst = max(per, key=lambda m: per[m][1] / max(per[m][0], 1))
    return {"module_lines": total, "module_lines_over_120": over, "pct_over_120": round(100 * over / max(total, 1), 1),
            "worst_module": worst, "worst_pct": round(100 * per[worst][1] / max(per[worst][0], 1), 1)}


def documented(fn: ast.FunctionDef, comments: dict) -> bool:
    "Whether every parameter but self/cls/*args/**kwargs has a `#` comment after it on its line."
    a = fn.args
    params = [p for p in a.posonlyargs + a.args + a.kwonlyargs if p.arg not in ("self", "cls")]
    return all(any(col > p.col_offset for col in comments.get(p.lineno, ())) for p in params)


def docment_figures(texts: dict, trees: dict) -> dict:
    "Public top-level functions, how many document every parameter, and the same over DESIGN's 22 API functions."
    ok = {}
    for path, text in texts.items():
        comments = {}                                      # line -> columns where a comment starts (not `#` in strings)
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT: comments.setdefault(tok.start[0], []).append(tok.start[1])
        for fn in trees[path].body:
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and not fn.name.startswith("_"):
                ok[f"{Path(path).stem}.{fn.name}"] = documented(fn, comments)
    missing = [f for f in DESIGN_API if not ok.get(f)]
    return {"public_functions": len(ok), "public_fully_docmented": sum(ok.values()),
            "design_api_fully_docmented": len(DESIGN_API) - len(missing), "design_api_of": len(DESIGN_API),
            "design_api_undocumented": " ".join(missing)}


def cell_defs(tree: ast.Module) -> int:
    "Top-level functions, classes and UPPER_CASE assignments of an export cell."
    up = lambda t: isinstance(t, ast.Name) and bool(UPPER.match(t.id))
    return sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
               or (isinstance(n, ast.Assign) and any(up(t) for t in n.targets))
               or (isinstance(n, ast.AnnAssign) and up(n.target)) for n in tree.body)


def reads(tree: ast.AST) -> set:
    "Names read in `tree`, leaving out what is only passed to `profile_spec(...)`."
    inside = {id(n) for c in calls(tree, "profile_spec") for n in ast.walk(c)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inside}


def notebook_figures(texts: dict) -> dict:
    "Export-cell sizes, long code cells, test_eq use, parameters cells, and 06's longest markdown cell."
    f = dict.fromkeys(["export_cells", "export_cells_over_4_defs", "export_cells_over_40_lines", "code_cells_30_lines",
                       "max_export_defs", "max_export_lines", "test_eq_calls", "test_eq_bool", "test_cells_unparsed",
                       "parameters_block_lines", "notebooks_unused_params", "unused_params", "history_words_06"], 0)
    for path, text in texts.items():
        cells = json.loads(text)["cells"]
        code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        for src in code:
            n = len(src.splitlines())
            f["code_cells_30_lines"] += n >= 30
            tree = parse_cell(src)
            if EXPORT.match(src):
                defs = cell_defs(tree) if tree else 0
                f["export_cells"] += 1
                f["export_cells_over_4_defs"] += defs >= 5
                f["export_cells_over_40_lines"] += n > 40
                f["max_export_defs"], f["max_export_lines"] = max(f["max_export_defs"], defs), max(f["max_export_lines"], n)
            elif tree is None: f["test_cells_unparsed"] += 1
            else:
                tests = calls(tree, "test_eq")
                f["test_eq_calls"] += len(tests)
                f["test_eq_bool"] += sum(len(c.args) > 1 and isinstance(c.args[1], ast.Constant)
                                         and isinstance(c.args[1].value, bool) for c in tests)
        params = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and "parameters" in c["metadata"].get("tags", [])]
        for i in params:
            src = "".join(cells[i]["source"])
            f["parameters_block_lines"] += len(src.splitlines())
            declared = {t.id for n in ast.parse(src).body for t in getattr(n, "targets", [getattr(n, "target", None)])
                        if isinstance(t, ast.Name)}
            used = set().union(*(reads(t) for j, c in enumerate(cells) if j != i and c["cell_type"] == "code"
                                 for t in [parse_cell("".join(c["source"]))] if t))
            f["unused_params"] += len(declared - used)
            f["notebooks_unused_params"] += bool(declared - used)
        if Path(path).name == "06_student.ipynb":
            f["history_words_06"] = max((len("".join(c["source"]).split()) for c in cells if c["cell_type"] == "markdown"), default=0)
    return f


def measure(rev: str) -> dict:
    "All figures for one revision."
    texts = read_tree(rev)
    mods = {p: t for p, t in texts.items() if p.endswith(".py")}
    trees = {p: ast.parse(t) for p, t in mods.items()}
    row = {"revision": rev, "commit": "worktree" if rev == "worktree" else git("rev-parse", "--short", rev).strip()}
    row.update({k: sum(len(re.findall(rx, t)) for t in mods.values()) for k, rx in PATTERNS.items()})
    row.update(lock_figures(trees))
    row.update(module_figures(mods))
    row.update(docment_figures(mods, trees))
    row.update(notebook_figures({p: t for p, t in texts.items() if p.endswith(".ipynb")}))
    return row


def write_csv(rows: list) -> None:
    "Write the rows to OUT atomically (a temporary file, then os.replace)."
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader(), w.writerows(rows)
    os.replace(tmp, OUT)


def main(revs: list) -> None:
    "Measure each revision, print figures down and revisions across, write the CSV."
    rows = [measure(r) for r in revs or ["HEAD", "worktree"]]
    width = max(map(len, rows[0]))
    for k in [k for k in rows[0] if k != "design_api_undocumented"]:
        print(f"{k:<{width}}  " + "  ".join(f"{str(r[k]):>12}" for r in rows))
    for r in rows: print(f"{r['revision']}: DESIGN API functions not fully documented: {r['design_api_undocumented'] or '-'}")
    write_csv(rows)
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
