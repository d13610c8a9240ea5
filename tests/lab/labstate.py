"""The lab state-directory fixture, shared by lab test modules (import it into the module).

Not a ``conftest.py``: the test tree imports ``conftest`` by module name (``from conftest
import ...``), and a second ``conftest`` on the path would shadow ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ccsec.lab import netns
from ccsec.lab.state import NS_PREFIX, STATE_ENV, all_ids, load_for_teardown, teardown


@pytest.fixture(scope="module")
def lab_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Labs made here are recorded in a state directory of their own; at the end every lab
    still recorded there is torn down, and no namespace of any of them may be left."""
    directory = tmp_path_factory.mktemp("lab-state")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(STATE_ENV, str(directory))
        yield directory
        seen = all_ids()
        for lab_id in seen:
            teardown(load_for_teardown(lab_id))
    leftovers = [n for lab_id in seen for n in netns.names(f"{NS_PREFIX}{lab_id}-")]
    assert not leftovers, f"lab namespaces left behind: {leftovers}"
