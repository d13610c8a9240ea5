"""One reader under atheris (coverage-guided libFuzzer for Python): ``make fuzz`` runs this per
target through ``tests/fuzz/run.py``.

usage: python tests/fuzz/atheris_main.py TARGET [libFuzzer flags] [CORPUS_DIR…]

ccsec's modules are instrumented (coverage guides the mutations); each input goes through the
target (:mod:`targets`), so any exception other than ccsec's clean errors is a crash, and an
input over ``-timeout`` seconds is a timeout.  Mutations alternate between libFuzzer's own and
:func:`mutate.mutate` (the hostile values and structures of issue 15).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.mutate import mutate
from fuzz.targets import TARGETS, seeds


def main() -> None:
    name = sys.argv[1]
    target = TARGETS[name]
    with atheris.instrument_imports(include=["ccsec"]):
        corpus = seeds()[name]  # ccsec's modules are first imported here: instrumented
        for seed in corpus:  # (the reader's own lazy imports happen here too)
            target.run(seed)

    def test_one_input(data: bytes) -> None:
        target.run(data)

    def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)
        if rng.random() < 0.5:
            return atheris.Mutate(data, max_size)
        return mutate(data or rng.choice(corpus), rng, corpus, max_size)

    atheris.Setup([sys.argv[0], *sys.argv[2:]], test_one_input, custom_mutator=custom_mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
