"""The query language: the expression tree, value checks, rewrites and the reference evaluator."""

from __future__ import annotations

from unicrm.query.dsl import F, from_lookups
from unicrm.query.evaluator import evaluate
from unicrm.query.fields import FIELDS, FieldSpec, ValueType, field_names, lookup
from unicrm.query.nodes import (
    ALL,
    NOTHING,
    And,
    Compare,
    Const,
    Node,
    Not,
    Op,
    Or,
    OrderKey,
    conjuncts,
    fields_of,
)
from unicrm.query.rewrite import normalise, to_dnf

__all__ = [
    "ALL",
    "FIELDS",
    "NOTHING",
    "And",
    "Compare",
    "Const",
    "F",
    "FieldSpec",
    "Node",
    "Not",
    "Op",
    "Or",
    "OrderKey",
    "ValueType",
    "evaluate",
    "field_names",
    "conjuncts",
    "fields_of",
    "from_lookups",
    "lookup",
    "normalise",
    "to_dnf",
]
