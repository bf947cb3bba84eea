"""Explain an infeasible plan in the inputs' own words, from an irreducible infeasible subset
(IIS) of the LP: each row and bound in it is named by the target, member, year and limit it
came from."""

from __future__ import annotations

from models.commitments import stranded_members
from models.labelled import Reason
from models.registry import family


def explain_infeasible(session, layout, compiled, settings) -> list[str]:
    """Why the model a session holds is infeasible, in the inputs' words: the integer
    equipment when only whole units conflict, else the rows and bounds of an IIS."""
    if compiled.is_mip and session.relaxation_feasible():
        kinds = sorted(set(layout.units.loc[layout.units["integer"], "equipment"]))
        return ["The plan is feasible only with fractional units of integer equipment "
                f"({', '.join(kinds)}): with whole units the targets and limits conflict."]
    rows, columns = session.infeasible_subset()
    if not rows and not columns:
        return ["The limits conflict, but HiGHS could not isolate which (no IIS found)."]
    return describe_rows(layout, compiled, rows, columns, settings.currency)


def describe_rows(formulation, compiled, rows, columns, currency: str) -> list[str]:
    """Sentences for the rows and column bounds of an IIS: each row or bound explained by the
    family it belongs to (`models.registry`), an analyst's own by its name and index."""
    stranded = stranded_members(formulation)
    access = {}  # member -> the commitments access leaves nowhere to be spent
    targets, limits = [], []
    for row in rows:
        if row >= compiled.matrix.shape[0]:
            continue  # a stage bound, not an input
        name, index = compiled.block_of(int(row))
        block = formulation.blocks.get(name)
        if block is None:
            limits.append(("your constraint", _own_row(compiled, int(row))))
            continue
        if len(compiled.block_rows(name)) != block.size:  # the analyst deactivated some
            limits.append(("the row", _own_row(compiled, int(row))))
            continue
        explain = getattr(family(block.family), "explain", None)
        reason = explain(name, block.labels.iloc[index], formulation, currency) \
            if explain else None
        if reason is None:
            continue
        if reason.target is not None:
            targets.append(reason.target)
        elif reason.requires and reason.member in stranded:
            access.setdefault(reason.member, []).append(reason.requires)
        else:
            limits.append((reason.kind, reason.item))
    for col in columns:
        for reason in _describe_bound(formulation, compiled, int(col), currency):
            if reason.requires and reason.member in stranded:
                access.setdefault(reason.member, []).append(reason.requires)
            else:
                limits.append((reason.kind, reason.item))
    sentences = [f"Access leaves {member} ({'; '.join(items)}) no region to spend in: the "
                 "access sheet denies it every region with a target "
                 f"({', '.join(map(str, formulation.regions))})."
                 for member, items in access.items()]
    if access and not targets and not limits:
        return sentences
    limit_text = _grouped(limits) if limits else "the members' limits"
    for t in targets:
        sentences.append(
            f"Target {t['capability']} in {t['region']} in {t['year']} "
            f"({t['target']:,.1f}) cannot be met: it is held back by {limit_text}.")
    if not targets and (limits or not access):
        sentences.append(f"These limits cannot all hold: {limit_text}.")
    return sentences


def _own_row(compiled, row: int) -> str:
    """An analyst's constraint, by its name and index."""
    constraint = compiled.rows[row] if compiled.rows is not None else None
    return constraint.name if constraint is not None else compiled.block_of(row)[0]


def _grouped(limits: list[tuple[str, str]]) -> str:
    """Join (kind, item) limits into one phrase per kind, in order of first appearance:
    "the commitments of A (..), B (..); the deployable personnel of C (..)"."""
    groups: dict[str, list[str]] = {}
    for kind, item in limits:
        items = groups.setdefault(kind, [])
        if item not in items:
            items.append(item)
    return "; ".join(f"{PLURAL.get(kind, kind) if len(items) > 1 else kind} {', '.join(items)}"
                     for kind, items in groups.items())


#: kinds whose wording changes with more than one item
PLURAL = {"your constraint": "your constraints", "the row": "the rows"}


def _describe_bound(formulation, compiled, col: int, currency: str) -> list:
    """The bound of a column in the IIS, explained by the family that set it."""
    found = formulation.variable_at(col)
    if found is None:
        if compiled.variables is not None and col < len(compiled.variables):
            return [Reason("the bounds of your variable", compiled.variables[col].name)]
        return []
    variable, position = found
    owner = family(formulation.bound_owner[variable.name])
    explain = getattr(owner, "explain_bound", None)
    reason = explain(variable.name, position, formulation, currency) if explain else None
    return [reason] if reason is not None else []
