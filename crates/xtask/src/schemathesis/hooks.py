"""Schemathesis hooks for `cargo xtask schemathesis` (loaded through
SCHEMATHESIS_HOOKS from the run's directory, beside `per_phase.json`).

Fresh idempotency keys: a client sends a fresh Idempotency-Key with each
new request; schemathesis draws the header from its schema, and its
coverage phase sends one value again and again with different bodies,
which the gateway rightly answers 409. A well-formed key is therefore
replaced by a fresh one before each call; a malformed one is sent as
drawn, so the gateway's 400 is still exercised (the replay rules have
tests of their own in the gateway).

A subject per phase: an operation that spends its subject (refunding a
paid session in full) gets one of its own in each phase, as the fixtures
made them, so one phase does not leave the next nothing to work on.
"""

import json
import re
import uuid
from pathlib import Path

import schemathesis

WELL_FORMED = re.compile(r"[!-~]{1,255}")
PER_PHASE = json.loads(Path(__file__).with_name("per_phase.json").read_text())


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and WELL_FORMED.fullmatch(value):
            headers[name] = f"st-{uuid.uuid4()}"
    subjects = PER_PHASE.get(case.operation.label)
    if subjects and case.meta is not None and case.path_parameters:
        phase = case.meta.phase.name.value
        parameter = subjects["parameter"]
        if parameter in case.path_parameters and phase in subjects["phases"]:
            case.path_parameters[parameter] = subjects["phases"][phase]
