"""The process-level speed work of issue 16 changes no answer: rendering over worker processes
gives the result one process gives (files, refusals, the ends no format is for, errors); the
second reading pass (strongSwan files and what they include) over workers follows includes
exactly as far as one process does; and the ``ccsec`` process runs without the cyclic
collector while in-process callers keep theirs."""

from __future__ import annotations

import gc
import pickle
from ipaddress import ip_network
from itertools import pairwise
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest
from hypothesis import given, settings
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from ccsec import render as render_mod
from ccsec.audit import inventory
from ccsec.audit.inventory import load_directory
from ccsec.deployment import loads
from ccsec.errors import UnsupportedError
from ccsec.formats.base import RenderContext
from ccsec.plan import plan
from ccsec.policy import EndPolicy
from ccsec.render import render_policy_set
from ccsec.secrets import Secret, SecretResolver
from ccsec.synth import SynthOptions, generate
from ccsec.workers import FastPickle, fork_map
from strategies import any_end_policy


def _square(n: int) -> int:
    return n * n


def test_fork_map_keeps_item_order() -> None:
    items = list(range(50))
    assert list(fork_map(_square, items, 2)) == [n * n for n in items]
    assert list(fork_map(_square, items, 1)) == [n * n for n in items]


def _offset(n: int) -> int:
    from ccsec.workers import shared

    return n + shared()


def _scaled(items: list[int]) -> list[int]:
    from ccsec.workers import shared

    if -1 in items:
        raise ValueError("no negative items")
    return [n * shared() for n in items]


@pytest.mark.parametrize("workers", [1, 2])
def test_fork_stream_gives_every_result_in_the_order_items_came(workers: int) -> None:
    """Items sent while they are found, in batches as each fills: one result per item, in
    order, the same for any number of workers; what the batch function needs beyond its
    items comes from ``shared``."""
    from ccsec.workers import ForkStream

    with ForkStream(_scaled, workers, shared=3, size=7) as stream:
        for n in range(50):
            stream.add(n)
        assert stream.results() == [n * 3 for n in range(50)]
    with ForkStream(_scaled, workers, shared=3) as stream:
        assert stream.results() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_fork_stream_raises_a_batchs_error_to_the_caller(workers: int) -> None:
    from ccsec.workers import ForkStream

    with pytest.raises(ValueError, match="no negative"), \
            ForkStream(_scaled, workers, shared=1, size=4) as stream:
        for n in (1, 2, -1, 4, 5):
            stream.add(n)
        stream.results()


@pytest.mark.parametrize("workers", [1, 2])
def test_fork_map_hands_its_shared_value_to_the_function(workers: int) -> None:
    from ccsec import workers as workers_mod

    assert list(fork_map(_offset, [1, 2, 3], workers, shared=100)) == [101, 102, 103]
    assert workers_mod.shared() is None  # put back once the map is done


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, RenderContext]:
    dep = loads(generate(SynthOptions(sites=12, nat_fraction=0.5, strongswan_fraction=0.4,
                                      seed=5)).text, "synth.yaml")
    ps = plan(dep, None)
    ctx = RenderContext(ps.deployment, ps.profile,
                        SecretResolver(tmp_path_factory.mktemp("keys")))
    return ps, ctx


def _view(result: render_mod.RenderResult) -> tuple[object, ...]:
    return (result.files, result.skipped, result.selected, result.unselected)


@pytest.mark.parametrize("formats", [None, ["strongswan"], ["windows-powershell", "cucm"]])
def test_render_over_workers_equals_one_process(synthetic, monkeypatch, formats) -> None:
    ps, ctx = synthetic
    monkeypatch.setattr(render_mod, "PARALLEL_MIN_ENDS", 0)
    monkeypatch.setattr(render_mod, "BATCHES_PER_WORKER", 7)  # many hand-offs
    one = render_policy_set(ps, ctx, formats, workers=1)
    progress: list[str] = []
    two = render_policy_set(ps, ctx, formats, workers=2, on_end=progress.append)
    assert len(one.files) >= 8
    assert _view(two) == _view(one)
    assert progress == [e.owner or e.name for e in ps.ends]  # every end, in order


@pytest.mark.parametrize("workers", [1, 2])
def test_index_paths_encoded_while_workers_render_give_the_same_index(
        synthetic, monkeypatch, workers: int) -> None:
    """``ccsec render`` encodes index.json's paths while the workers render: ``meanwhile``
    runs once, and the index made with its text is the index made without it."""
    from ccsec.policy import PolicySet
    from ccsec.render import index_json, paths_index

    ps, ctx = synthetic
    monkeypatch.setattr(render_mod, "PARALLEL_MIN_ENDS", 0)
    made: list[object] = []
    result = render_policy_set(ps, ctx, None, workers=workers,
                               meanwhile=lambda: made.append(paths_index(ps)))
    assert len(made) == 1 and len(ps.paths) > 5
    digests = {f.path: "0" * 64 for f in result.files}
    assert index_json(ps, result, ctx, digests, made[0]) == index_json(ps, result, ctx, digests)
    none = PolicySet(ps.deployment, ps.profile, ps.ends, [])
    assert index_json(none, result, ctx, None, paths_index(none)) == \
        index_json(none, result, ctx)
    assert '"paths": []' in index_json(none, result, ctx)


def test_render_over_workers_keeps_the_first_ends_causes(synthetic, monkeypatch) -> None:
    """A best-effort format refused on many ends names the first end's causes, whichever
    worker met which end first."""
    ps, ctx = synthetic
    monkeypatch.setattr(render_mod, "PARALLEL_MIN_ENDS", 0)
    monkeypatch.setattr(render_mod, "BATCHES_PER_WORKER", 9)
    one = render_policy_set(ps, ctx, None, workers=1)
    two = render_policy_set(ps, ctx, None, workers=2)
    assert one.skipped, "the recommended profile refuses netsh on Windows ends"
    assert two.skipped == one.skipped
    assert two.skipped[0].example == one.skipped[0].ends[0]


def test_render_errors_over_workers_equal_one_process(synthetic, monkeypatch) -> None:
    ps, ctx = synthetic
    monkeypatch.setattr(render_mod, "PARALLEL_MIN_ENDS", 0)
    errors = []
    for workers in (1, 2):
        with pytest.raises(UnsupportedError) as info:
            render_policy_set(ps, ctx, ["windows-netsh"], workers=workers)
        errors.append([str(p) for p in info.value.problems])
    assert errors[0] and errors[1] == errors[0]


def test_batches_balance_work_not_ends(synthetic) -> None:
    ps, _ = synthetic
    bounds = render_mod._bounds(ps.ends, 8)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(ps.ends)
    assert all(a[1] == b[0] for a, b in pairwise(bounds))  # no gap, no overlap
    # the central ends hold most rules: the first batch is not an eighth of the ends
    assert bounds[0][1] < len(ps.ends) // 8


def _tree(root: Path, outside: Path) -> Path:
    """swanctl.conf files including a file beside them (followed) and one outside the
    configuration directory (refused), plus enough other text to go over the threshold."""
    configs = root / "configs"
    for n in range(6):
        d = configs / f"gw{n}"
        d.mkdir(parents=True)
        (d / "conns.conf").write_text(
            f"conn{n} {{\n  remote_addrs = 192.0.2.{n + 1}\n  children {{\n    c {{\n"
            f"      local_ts = 10.{n}.0.0/16\n    }}\n  }}\n}}\n", encoding="utf-8")
        (d / "swanctl.conf").write_text(
            "connections {\n  include conns.conf\n"
            f"  include {outside}\n}}\n", encoding="utf-8")
    return configs


def test_second_pass_over_workers_equals_one_process(tmp_path: Path, monkeypatch) -> None:
    outside = tmp_path / "elsewhere.conf"
    outside.write_text("leak { remote_addrs = 198.51.100.9 }\n", encoding="utf-8")
    configs = _tree(tmp_path, outside)
    monkeypatch.setattr(inventory, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(inventory, "BATCH_BYTES", 1)
    one = load_directory(configs, workers=1)
    two = load_directory(configs, workers=2)

    def view(inv: inventory.Inventory) -> list[object]:
        return [(e.source, e.format, e.policy, e.notes) for e in inv.ends]

    assert len(one.ends) == 6
    assert view(two) == view(one)
    assert two.skipped == one.skipped
    names = {r.name for e in two.ends for r in e.policy.rules}
    assert not any("leak" in n for n in names)  # the outside file was not followed
    assert any("refused" in n.message or "outside" in n.message
               for e in two.ends for n in e.notes)


def test_the_ccsec_process_runs_without_the_cyclic_collector(monkeypatch) -> None:
    import ccsec.cli as cli

    seen: list[bool] = []
    monkeypatch.setattr(cli, "main", lambda argv=None: seen.append(gc.isenabled()) or 0)

    def leave(code: int) -> None:  # run() ends the process: end only this call
        raise SystemExit(code)

    monkeypatch.setattr(cli.os, "_exit", leave)
    assert gc.isenabled()
    try:
        with pytest.raises(SystemExit):
            cli.run()
    finally:
        gc.enable()
    assert seen == [False]


def test_in_process_callers_keep_their_collector() -> None:
    from ccsec.cli import main

    assert gc.isenabled()
    assert main(["rules", "--json"]) == 0
    assert gc.isenabled()


def test_host_paths_are_remembered_for_the_same_deployment_only() -> None:
    from ccsec import paths as paths_mod

    text = generate(SynthOptions(sites=5, seed=2)).text
    dep = loads(text, "a.yaml")
    first = paths_mod.host_paths(dep)
    assert first == paths_mod._host_paths(dep)  # what the cache holds is the computation
    first.clear()  # the caller's list is the caller's
    again = paths_mod.host_paths(dep)
    assert again == paths_mod._host_paths(dep) and again
    other = loads(text.replace("10.", "10.", 1), "b.yaml")  # equal content, another object
    assert paths_mod.host_paths(other) == again
    assert paths_mod._LAST is not None and paths_mod._LAST[0] is other
    changed = dep.model_copy(update={"hosts": dep.hosts[: len(dep.hosts) // 2]})
    assert paths_mod.host_paths(changed) == paths_mod._host_paths(changed) != again


def _sessions(records: list[object]) -> list[object]:
    return [(r.session, r.a[0].subject(r.a[1]),  # type: ignore[attr-defined]
             r.b[0].subject(r.b[1]) if r.b else None, r.context)  # type: ignore[attr-defined]
            for r in records]


@pytest.mark.parametrize("source", ["synthetic", "brownfield"])
def test_pairs_negotiated_over_workers_equal_one_process(synthetic, monkeypatch,
                                                         source) -> None:
    """Sessions, their order, reasons (the device's choice learnt from both directions),
    the rules behind them and their contexts: the same with negotiation over workers."""
    from ccsec.audit import pairing
    from ccsec.audit.engine import planned_ends
    from ccsec.deployment import load
    from conftest import ROOT

    if source == "synthetic":
        ps, _ = synthetic
        dep = None
        ends = planned_ends(ps)
    else:
        configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
        dep = load(configs.parent / "deployment.yaml")
        ends = load_directory(configs, dep, workers=1).ends
    monkeypatch.setattr(pairing, "PARALLEL_MIN_RULES", 0)
    one = pairing.pair(ends, dep, workers=1)
    two = pairing.pair(ends, dep, workers=2)
    assert len(one) > (5 if source == "synthetic" else 2)
    assert _sessions(two) == _sessions(one)


# ------------------------------------------------- render writes while the workers render


def test_a_render_that_fails_after_writing_leaves_nothing(cli, tmp_path: Path,
                                                         monkeypatch) -> None:
    """Files go into the stage as ends are rendered; a refusal met later still leaves no
    output and no stage behind (the error is raised once every end was tried)."""
    written: list[str] = []
    real = render_mod.render_policy_set

    def spy(*args: object, **kw: object) -> object:
        on_file = kw["on_file"]
        assert callable(on_file)
        kw["on_file"] = lambda f: (written.append(f.path), on_file(f))
        return real(*args, **kw)  # type: ignore[arg-type]

    import ccsec.cli.spine as spine

    monkeypatch.setattr(spine, "render_policy_set", spy)
    res = cli("render", "demo", "--format", "windows-netsh", "--format", "windows-powershell",
              "-o", str(tmp_path / "out"))
    assert res.code == 2 and "windows-netsh" in res.err
    assert written, "some files were written into the stage before the error"
    assert list(tmp_path.iterdir()) == []


def test_tree_writer_discards_its_stage_when_left_unfinished(tmp_path: Path) -> None:
    from ccsec.fileio import OutFile, OutputError, TreeWriter

    with pytest.raises(KeyboardInterrupt), TreeWriter(tmp_path / "out") as writer:
        writer.add("a/x.conf", OutFile("x\n"))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with TreeWriter(tmp_path / "out") as writer:
        writer.add("a/x.conf", OutFile("x\n"))
        with pytest.raises(OutputError, match="written twice"):
            writer.add("a/x.conf", OutFile("y\n"))
        with pytest.raises(OutputError, match="escapes"):
            writer.add("../evil", OutFile("y\n"))
        writer.finish()
    assert (tmp_path / "out" / "a" / "x.conf").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_tree_writer_flushes_while_files_come_and_stops_when_done(tmp_path: Path,
                                                                   monkeypatch) -> None:
    """The data goes to disk while the tree is written (a thread flushes the file system
    every FLUSH_EVERY_S), once more after the last file before the swap, and the thread is
    gone once the writer is finished — or left after an error."""
    import threading
    import time

    from ccsec import fileio
    from ccsec.fileio import OutFile, TreeWriter

    flushed: list[str] = []
    real = fileio._syncfs

    def counting(directory: Path) -> bool:
        flushed.append(threading.current_thread().name)
        return real(directory)

    monkeypatch.setattr(fileio, "_syncfs", counting)
    monkeypatch.setattr(fileio, "FLUSH_EVERY_S", 0.01)
    with TreeWriter(tmp_path / "out") as writer:
        for n in range(5):
            writer.add(f"e{n}/x.conf", OutFile("x\n"))
            time.sleep(0.05)
        writer.finish()
    assert flushed.count("ccsec-flush") >= 2  # while the files came
    assert flushed[-1] == threading.current_thread().name  # the last one, before the swap
    assert not any(t.name == "ccsec-flush" for t in threading.enumerate())
    with pytest.raises(KeyboardInterrupt), TreeWriter(tmp_path / "other") as writer:
        writer.add("a/x.conf", OutFile("x\n"))
        raise KeyboardInterrupt
    assert not any(t.name == "ccsec-flush" for t in threading.enumerate())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -------------------------------------------- check families beside coverage, in a fork


@pytest.mark.parametrize("source", ["synthetic", "brownfield"])
def test_families_beside_coverage_give_the_same_audit(synthetic, monkeypatch, source) -> None:
    from ccsec.audit import engine, pairing
    from ccsec.audit.engine import planned_ends, run_audit
    from ccsec.deployment import load
    from conftest import ROOT

    if source == "synthetic":
        ps, _ = synthetic
        dep, ends = None, planned_ends(ps)
    else:
        configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
        dep = load(configs.parent / "deployment.yaml")
        ends = load_directory(configs, dep, workers=1).ends
    monkeypatch.setattr(engine, "PARALLEL_MIN_SESSIONS", 0)
    monkeypatch.setattr(pairing, "PARALLEL_MIN_RULES", 0)
    one = run_audit(ends, dep, "d.yaml", workers=1)
    two = run_audit(ends, dep, "d.yaml", workers=2)
    assert one.findings and two.to_json() == one.to_json()
    assert [f.to_json() for f in two.findings] == [f.to_json() for f in one.findings]


def test_only_the_families_after_coverage_read_what_coverage_finds() -> None:
    """A family beside coverage runs before it is computed (in a fork): reading coverage
    rows, weaker-than notes or a session's path there would see nothing — move the family
    into AFTER_COVERAGE instead."""
    import re
    from importlib import import_module

    from ccsec.findings.families import AFTER_COVERAGE, AUDIT_FAMILIES

    reads = re.compile(r"\.coverage\b|\.weaker\b|\.path\b")
    for name in AUDIT_FAMILIES:
        text = Path(import_module(name).__file__ or "").read_text(encoding="utf-8")
        found = sorted(set(reads.findall(text)))
        if name in AFTER_COVERAGE:
            assert found, f"{name} is listed as reading coverage but does not"
        else:
            assert not found, f"{name} reads {found}: list it in AFTER_COVERAGE"


# ------------------------------------- the deployment loaded while the workers read


def test_deployment_loaded_while_workers_read_gives_the_same_audit(monkeypatch) -> None:
    from ccsec.audit.pipeline import run
    from ccsec.deployment import load
    from conftest import ROOT

    configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
    deployment = configs.parent / "deployment.yaml"
    monkeypatch.setattr(inventory, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setenv("CCSEC_JOBS", "2")
    given = run(configs, load(deployment), deployment_file=str(deployment))
    calls: list[int] = []

    def loader():  # type: ignore[no-untyped-def]
        calls.append(1)
        return load(deployment)

    meanwhile = run(configs, deployment_file=str(deployment), load_deployment=loader)
    assert calls == [1]
    assert meanwhile.context.deployment is not None
    assert meanwhile.to_json() == given.to_json()
    assert [e.host for e in meanwhile.context.ends] == [e.host for e in given.context.ends]


def test_a_broken_deployment_stops_the_workers_reading(tmp_path: Path, monkeypatch) -> None:
    from ccsec.audit.pipeline import run
    from ccsec.errors import Problem, UserError
    from conftest import ROOT

    configs = ROOT / "tests" / "data" / "audit-brownfield" / "configs"
    monkeypatch.setattr(inventory, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(inventory, "BATCH_BYTES", 1)
    monkeypatch.setenv("CCSEC_JOBS", "2")

    def broken():  # type: ignore[no-untyped-def]
        raise UserError(Problem("the deployment is broken", field="hosts"))

    with pytest.raises(UserError, match="the deployment is broken"):
        run(configs, load_deployment=broken)
    # a missing --configs: the deployment's error is still the first one
    with pytest.raises(UserError, match="the deployment is broken"):
        run(tmp_path / "missing", load_deployment=broken)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_read_early_is_still_dropped_when_another_includes_it(
        tmp_path: Path, monkeypatch, workers: int) -> None:
    """swanctl.conf files without an include are read in the first pass; one that another
    file includes is still read only as part of that file, never alone."""
    monkeypatch.setattr(inventory, "PARALLEL_MIN_BYTES", 0)
    (tmp_path / "gw").mkdir()
    (tmp_path / "gw" / "extra.conf").write_text(
        "connections {\n  extra {\n    remote_addrs = 192.0.2.7\n"
        "    children { c { local_ts = 10.9.0.0/16 } }\n  }\n}\n", encoding="utf-8")
    (tmp_path / "gw" / "swanctl.conf").write_text("connections {\n}\ninclude extra.conf\n",
                                                  encoding="utf-8")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "swanctl.conf").write_text(
        "connections {\n  alone {\n    remote_addrs = 192.0.2.8\n"
        "    children { c { local_ts = 10.8.0.0/16 } }\n  }\n}\n", encoding="utf-8")
    inv = load_directory(tmp_path, workers=workers)
    assert sorted(e.source for e in inv.ends) == ["gw/swanctl.conf", "other/swanctl.conf"]
    names = {e.source: [r.name for r in e.policy.rules] for e in inv.ends}
    assert any("extra" in n for n in names["gw/swanctl.conf"])
    assert any("alone" in n for n in names["other/swanctl.conf"])


def _sent(obj: object) -> object:
    """``obj`` as a worker's result arrives in the main process."""
    return pickle.loads(ForkingPickler.dumps(obj))


def _models(obj: object) -> list[BaseModel]:
    found: list[BaseModel] = []
    todo = [obj]
    while todo:
        o = todo.pop()
        if isinstance(o, BaseModel):
            found.append(o)
            todo.extend(o.__dict__.values())
        elif isinstance(o, (tuple, list)):
            todo.extend(o)
    return found


@settings(max_examples=60, deadline=None)
@given(any_end_policy())
def test_policies_arrive_from_workers_as_they_left(p: EndPolicy) -> None:
    """Policy objects travel between workers as class + values + fields set (no validation on
    the way in): what arrives equals what left, object by object, secrets included, with the
    same fields set, and is still frozen."""
    back = _sent(p)
    assert isinstance(back, EndPolicy) and back == p
    mine, theirs = _models(p), _models(back)
    assert [type(m) for m in mine] == [type(m) for m in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert a.model_fields_set == b.model_fields_set
        assert a.model_dump() == b.model_dump()
        if isinstance(a, Secret):
            assert isinstance(b, Secret)
            assert (a.value and a.value.get_secret_value()) == \
                (b.value and b.value.get_secret_value())
    if back.rules:
        with pytest.raises(ValidationError):
            back.rules[0].name = "changed"  # type: ignore[misc]
    # the workers' own way is used (class and values), not pydantic's generic state
    assert b"_restore" in bytes(ForkingPickler.dumps(p))
    assert b"_restore" not in pickle.dumps(p)


@pytest.mark.parametrize("text", ["10.1.2.0/24", "0.0.0.0/0", "192.0.2.7/32",
                                  "2001:db8::/32", "::/0", "2001:db8::1/128"])
def test_networks_arrive_from_workers_as_they_left(text: str) -> None:
    net = ip_network(text)
    back = _sent(net)
    assert type(back) is type(net) and back == net and str(back) == text


class _WithPrivate(FastPickle, BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    _seen: int = PrivateAttr(default=0)


def test_a_model_with_private_state_keeps_pydantics_way() -> None:
    m = _WithPrivate(name="x")
    object.__setattr__(m, "__pydantic_private__", {"_seen": 3})
    back = _sent(m)
    assert isinstance(back, _WithPrivate) and back.name == "x" and back._seen == 3


def test_tree_writer_modes_do_not_depend_on_the_umask(tmp_path: Path) -> None:
    """A file without a key is 0644 and one with a key 0600, whatever the umask says."""
    import os
    import stat

    from ccsec.fileio import OutFile, TreeWriter

    old = os.umask(0o077)
    try:
        with TreeWriter(tmp_path / "out") as writer:
            writer.add("a/plain.conf", OutFile("x\n"))
            writer.add("a/keyed.conf", OutFile("k\n", secret=True))
            writer.finish()
    finally:
        os.umask(old)
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "out" / "a").iterdir()}
    assert mode == {"plain.conf": 0o644, "keyed.conf": 0o600}


def _walked(root: Path) -> list[tuple[Path, bool, int]]:
    """The listing the way it was made before (os.walk, then a link test and a size per
    file): what the one-pass listing must give."""
    import os

    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out += (Path(dirpath) / f for f in filenames if not f.startswith("."))

    def size(p: Path) -> int:
        try:
            return p.stat().st_size
        except OSError:
            return 0

    return [(p, p.is_symlink(), size(p)) for p in sorted(out)]


def test_the_one_pass_listing_equals_a_walk(tmp_path: Path) -> None:
    """Hidden files and folders left out, links to folders neither listed nor followed,
    links to files (inside, outside, broken) listed with their target's size, path order
    (``a/b`` before ``a-c``), nested folders."""
    import os

    root = tmp_path / "configs"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.conf").write_text("outside\n")
    for rel, text in {"a/b": "1", "a-c": "22", "a/x/y/z.conf": "333", "top.txt": "4444",
                      ".hidden": "h", "a/.hid/inner": "h", "b/.cfg": "h"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    os.symlink(outside / "o.conf", root / "link-out.conf")
    os.symlink(root / "a-c", root / "a" / "link-in")
    os.symlink(root / "missing", root / "broken")
    os.symlink(outside, root / "dir-link")
    os.symlink(root / "a", root / "b" / "loop")
    got = [(e.path, e.link, e.size) for e in inventory._files(root)]
    assert got == _walked(root)
    assert [p.name for p, _, _ in got] == ["b", "link-in", "z.conf", "a-c", "broken",
                                          "link-out.conf", "top.txt"]
    one = tmp_path / "single.conf"
    one.write_text("x\n")
    assert [(e.path, e.link, e.size) for e in inventory._files(one)] == [(one, False, 2)]
