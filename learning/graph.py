"""The prerequisite graph of a course's concepts: cycles, order and what a concept unlocks.

Pure functions over `{slug: set of prerequisite slugs}`, shared by the services (which refuse
cycles), the importer and the recommender.
"""

from __future__ import annotations

from collections.abc import Mapping, Set


def path_between(requires: Mapping[str, Set[str]], start: str, goal: str) -> list[str] | None:
    """A chain start → … → goal following "needs" edges, or None."""
    stack, seen = [(start, [start])], {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in sorted(requires.get(node, ())):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def cycle_if_added(requires: Mapping[str, Set[str]], concept: str, prerequisite: str) -> list[str]:
    """The cycle that "concept needs prerequisite" would close, as [concept, prerequisite, …,
    concept]; empty if the edge is safe."""
    if concept == prerequisite:
        return [concept, concept]
    back = path_between(requires, prerequisite, concept)
    return [concept, *back] if back else []


def find_cycle(requires: Mapping[str, Set[str]]) -> list[str]:
    """Any cycle in the whole graph, as [a, b, …, a]; empty for a DAG."""
    for concept in sorted(requires):
        for prerequisite in sorted(requires[concept]):
            if cycle := cycle_if_added(
                {k: (v - {prerequisite} if k == concept else v) for k, v in requires.items()},
                concept,
                prerequisite,
            ):
                return cycle
    return []


def describe_cycle(cycle: list[str], names: Mapping[str, str] | None = None) -> str:
    names = names or {}
    return " → ".join(names.get(slug, slug) for slug in cycle)


def topological_order(requires: Mapping[str, Set[str]], order: list[str]) -> list[str]:
    """Concepts with every prerequisite first, keeping the given order where it is free."""
    done: set[str] = set()
    result: list[str] = []

    def visit(node: str, trail: frozenset[str]) -> None:
        if node in done or node in trail:
            return
        for prerequisite in sorted(requires.get(node, ()), key=order.index):
            visit(prerequisite, trail | {node})
        done.add(node)
        result.append(node)

    for node in order:
        visit(node, frozenset())
    return result


def dependents(requires: Mapping[str, Set[str]]) -> dict[str, set[str]]:
    """The inverse edges: for each concept, the concepts that list it as a prerequisite."""
    unlocks: dict[str, set[str]] = {slug: set() for slug in requires}
    for concept, prerequisites in requires.items():
        for prerequisite in prerequisites:
            unlocks.setdefault(prerequisite, set()).add(concept)
    return unlocks


def descendants(unlocks: Mapping[str, Set[str]], concept: str) -> set[str]:
    seen: set[str] = set()
    stack = list(unlocks.get(concept, ()))
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(unlocks.get(node, ()))
    return seen
