"""The attacks docs/hosting.md defends against, run on a live server (`bench.attacks`, compact): none
may slow another student's rerun past 2 s or the health endpoint past 0.5 s, none may cost the
server more than 3 s, and each defence is seen holding in what the page sends back (refused,
capped, sandboxed, literal)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.attacks import ATTACKS, GOALS, attack_server, prepare_models, report

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    """One server, the compact set of attacks once each (a cache of its own: the classmate's
    default model must not be trained already)."""
    cache, work = tmp_path_factory.mktemp("attacks-cache"), tmp_path_factory.mktemp("attacks-run")
    prepare_models(cache)
    # in a thread of its own: a session's Playwright browser may already run an event loop in this one
    with ThreadPoolExecutor(1) as pool:
        rows, ctx = pool.submit(attack_server, cache, work, 1, True).result(timeout=600)
    print(report(rows))  # shown with -s, and with a failure
    return {row.attack.name: row for row in rows}, ctx


def test_the_compact_set_covers_every_attack(rows):
    by_name, _ = rows
    assert {name.split()[0] for name in by_name} == {str(i) for i in range(8)}, sorted(by_name)


@pytest.mark.parametrize("name", [attack.name for attack in ATTACKS if attack.compact])
def test_an_attack_is_refused_capped_sandboxed_or_literal_and_costs_the_others_nothing(rows, name):
    row = rows[0][name]
    assert row.held, [o.defence for o in row.outcomes]
    assert row.others, "no other student's rerun was measured while the attack ran"
    assert row.server_s < GOALS["attack_s"], (row.server_s, [o.defence for o in row.outcomes])
    assert row.health_s < GOALS["health_s"], row.health_s
    assert row.others_max < GOALS["others_s"], sorted(row.others)[-5:]


def test_nothing_left_the_machine(rows):
    _, ctx = rows
    assert ctx.outbound == 0 and ctx.proxy.accepted == 0, (ctx.outbound, ctx.proxy.accepted)
