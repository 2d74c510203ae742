"""The sync twin of each test app (tests/apps/X_sync.py, run by the sync
runtimes in place of X.py: tests/sync_launch.py) serves the same routes, so
every test written against X.py means the same thing on the sync runtimes.
Read from the sources: no server needed."""
import os
import re

import pytest

from conftest import ROOT

APPS = os.path.join(ROOT, "tests", "apps")
ROUTE = re.compile(r"""\.route\(\s*["']([A-Z]+)["']\s*,\s*["']([^"']+)["']""")
TWINS = sorted(n[:-8] for n in os.listdir(APPS) if n.endswith("_sync.py"))


def routes(name):
    with open(os.path.join(APPS, name)) as f:
        return set(ROUTE.findall(f.read()))


def test_every_sync_twin_has_its_async_app():
    assert TWINS, "no tests/apps/*_sync.py found"
    for name in TWINS:
        assert os.path.exists(os.path.join(APPS, name + ".py")), name


@pytest.mark.parametrize("name", TWINS)
def test_sync_twin_serves_the_same_routes(name):
    mine, twin = routes(name + ".py"), routes(name + "_sync.py")
    assert mine, "no routes found in %s.py" % name
    assert mine == twin, {"only in %s.py" % name: sorted(mine - twin),
                          "only in %s_sync.py" % name: sorted(twin - mine)}
