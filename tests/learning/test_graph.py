"""The prerequisite graph helpers: cycles with their path, order, what a concept unlocks."""

from __future__ import annotations

from learning import graph

# loops needs conditionals, functions needs loops, recursion needs functions
REQUIRES = {
    "conditionals": set(),
    "loops": {"conditionals"},
    "functions": {"loops"},
    "recursion": {"functions"},
}


def test_an_edge_that_closes_a_cycle_returns_the_whole_cycle() -> None:
    cycle = graph.cycle_if_added(REQUIRES, "conditionals", "recursion")
    assert cycle == ["conditionals", "recursion", "functions", "loops", "conditionals"]
    assert graph.describe_cycle(cycle, {"loops": "Loops"}).startswith("conditionals → recursion")


def test_a_safe_edge_and_a_self_edge() -> None:
    assert graph.cycle_if_added(REQUIRES, "recursion", "conditionals") == []
    assert graph.cycle_if_added(REQUIRES, "loops", "loops") == ["loops", "loops"]


def test_find_cycle_in_a_whole_graph() -> None:
    assert graph.find_cycle(REQUIRES) == []
    looped = {**REQUIRES, "loops": {"conditionals", "recursion"}}
    cycle = graph.find_cycle(looped)
    assert cycle[0] == cycle[-1] and {"loops", "functions", "recursion"} <= set(cycle)


def test_topological_order_puts_prerequisites_first() -> None:
    order = graph.topological_order(REQUIRES, ["recursion", "functions", "loops", "conditionals"])
    assert order == ["conditionals", "loops", "functions", "recursion"]


def test_dependents_and_descendants() -> None:
    unlocks = graph.dependents(REQUIRES)
    assert unlocks["conditionals"] == {"loops"}
    assert graph.descendants(unlocks, "conditionals") == {"loops", "functions", "recursion"}
