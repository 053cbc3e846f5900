"""The JSON Schemas in data/schema are generated from the models and must not go stale."""

from __future__ import annotations

import json

from kiosk import paths
from kiosk.content import json_schemas


def test_committed_schemas_match_models() -> None:
    """Run ``make schema`` after changing kiosk/content.py; this test says when it is needed."""
    folder = paths.resource_path("data/schema")
    generated = json_schemas()
    on_disk = {p.name for p in folder.glob("*.schema.json")}
    assert on_disk == {name.replace(".json", ".schema.json") for name in generated}
    for name, schema in generated.items():
        committed = json.loads((folder / name.replace(".json", ".schema.json")).read_text("utf-8"))
        assert committed == schema, f"data/schema/{name} is stale: run `make schema`"
